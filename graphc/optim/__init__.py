"""Optimizers for nn Parameters (eager step() or a static minimize(loss) op) and graph Variables
(minimize), with PyTorch's parameter groups and state dicts, and learning-rate schedules
(gc.optim.lr_scheduler)."""

from graphc.optim import lr_scheduler
from graphc.optim.adadelta import Adadelta
from graphc.optim.adagrad import Adagrad
from graphc.optim.adam import Adam, AdamW
from graphc.optim.optimizer import Optimizer
from graphc.optim.rmsprop import RMSprop
from graphc.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
