"""Optimizers for nn Parameters (eager step() or a static minimize(loss) op) and graph Variables
(minimize) (gc.optim)."""

from graphc.optim.adagrad import Adagrad
from graphc.optim.adam import Adam
from graphc.optim.optimizer import Optimizer
from graphc.optim.rmsprop import RMSprop
from graphc.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "Optimizer", "RMSprop"]
