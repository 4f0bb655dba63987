"""The optimizers' updates written out in numpy, as PyTorch documents them, and the
configurations the tests replay them in: the loss sum(c * p^2), whose gradient 2 c p makes
the gradient sequence depend on the updates."""

import numpy as np

from graphc import optim

STEPS = 6
C = np.array([[0.5, -1.0, 2.0]])
START = np.array([[1.0, -2.0, 0.5]])


def numpy_sgd(p, grads, lr, momentum=0, dampening=0, nesterov=False, weight_decay=0):
    buf = None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def numpy_adam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        p = p - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
    return p


def numpy_adamw(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """PyTorch's AdamW: the decay shrinks p before Adam's step, whose gradient has no L2
    term."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lr * weight_decay)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        p = p - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
    return p


def numpy_rmsprop(p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                  centered=False):
    v, a, b = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        denominator = np.sqrt(v) + eps
        if centered:
            a = alpha * a + (1 - alpha) * g
            denominator = np.sqrt(v - a * a) + eps
        if momentum:
            b = momentum * b + g / denominator
            p = p - lr * b
        else:
            p = p - lr * g / denominator
    return p


def numpy_adagrad(p, grads, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                  eps=1e-10):
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return p


def numpy_adadelta(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
    v, u = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        d = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        p = p - lr * d
    return p


CONFIGS = [
    (optim.SGD, numpy_sgd, dict(lr=0.1)),
    (optim.SGD, numpy_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, numpy_sgd, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    (optim.SGD, numpy_sgd, dict(lr=0.1, momentum=0.8, nesterov=True)),
    (optim.SGD, numpy_sgd, dict(lr=0.1, weight_decay=0.05, momentum=0.5)),
    (optim.Adam, numpy_adam, dict(lr=0.05)),
    (optim.Adam, numpy_adam, dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    (optim.AdamW, numpy_adamw, dict(lr=0.05)),
    (optim.AdamW, numpy_adamw, dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.3)),
    (optim.RMSprop, numpy_rmsprop, dict()),
    (optim.RMSprop, numpy_rmsprop, dict(lr=0.05, alpha=0.9, eps=1e-6)),
    (optim.RMSprop, numpy_rmsprop, dict(lr=0.05, momentum=0.8)),
    (optim.RMSprop, numpy_rmsprop, dict(lr=0.05, centered=True)),
    (optim.RMSprop, numpy_rmsprop, dict(lr=0.02, alpha=0.8, weight_decay=0.1, momentum=0.5,
                                        centered=True)),
    (optim.Adagrad, numpy_adagrad, dict()),
    (optim.Adagrad, numpy_adagrad, dict(lr=0.3, lr_decay=0.1)),
    (optim.Adagrad, numpy_adagrad, dict(lr=0.3, initial_accumulator_value=0.5, eps=1e-6)),
    (optim.Adagrad, numpy_adagrad, dict(lr=0.2, lr_decay=0.05, weight_decay=0.2,
                                        initial_accumulator_value=0.1)),
    (optim.Adadelta, numpy_adadelta, dict()),
    (optim.Adadelta, numpy_adadelta, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
]
IDS = ["sgd", "momentum", "dampening", "nesterov", "weight_decay", "adam", "adam_options",
       "adamw", "adamw_options", "rmsprop", "rmsprop_alpha_eps", "rmsprop_momentum",
       "rmsprop_centered",
       "rmsprop_everything", "adagrad", "adagrad_lr_decay", "adagrad_initial_sum",
       "adagrad_everything", "adadelta", "adadelta_options"]


def replay(reference, hyper):
    """Replay the optimizer in numpy from START, computing each gradient at the current
    point."""
    p, grads = START.copy(), []
    for _ in range(STEPS):
        grads.append(2 * C * p)
        p = reference(START.copy(), grads, **hyper)
    return p
