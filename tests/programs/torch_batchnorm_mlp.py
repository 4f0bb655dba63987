"""A PyTorch MLP with batch normalization, as tutorials write one: nn.Sequential of
nn.Linear, nn.BatchNorm1d and nn.GELU, trained with F.cross_entropy and optim.SGD with momentum
on mini-batches in model.train(), then evaluated in model.eval() under torch.no_grad(), where
the layer normalizes with the running statistics it kept. Three Gaussian blobs in 4-D made
with numpy, on scales far from the unit one (what batch normalization evens out)."""

import json

import numpy as np

import graphc.eager as torch
import graphc.nn as nn
import graphc.nn.functional as F
import graphc.optim as optim

torch.manual_seed(0)
np.random.seed(0)

# Toy data: three blobs in 4-D, features on different scales and offsets
centers = np.array([[0, 4, 1, -2], [3, -2, 0, 2], [-3, -1, -1, 0]])
scales = np.array([1.0, 4.0, 0.25, 10.0])
X = np.concatenate([(np.random.randn(40, 4) * 0.8 + c) * scales + 5 for c in centers])
y = np.repeat(np.arange(3), 40)
order = np.random.permutation(len(X))
X_train, y_train = torch.tensor(X[order[:96]].astype(np.float32)), torch.tensor(y[order[:96]])
X_test, y_test = torch.tensor(X[order[96:]].astype(np.float32)), torch.tensor(y[order[96:]])

model = nn.Sequential(
    nn.Linear(4, 16),
    nn.BatchNorm1d(16),
    nn.GELU(),
    nn.Linear(16, 3),
)
init = {k: v.tolist() for k, v in model.state_dict().items()}
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

batch_size = 32
losses = []
model.train()
for epoch in range(10):
    for i in range(0, len(X_train), batch_size):
        inputs, labels = X_train[i:i + batch_size], y_train[i:i + batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    if epoch % 3 == 0:
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    outputs = model(X_test)
    _, predicted = torch.max(outputs, 1)
    accuracy = (predicted == y_test).sum().item() / len(y_test)
print(f"test accuracy: {accuracy:.3f}")

bn = model[1]
print("RESULT", json.dumps({
    "init": init, "losses": losses, "accuracy": accuracy,
    "running_mean": bn.running_mean.tolist(), "running_var": bn.running_var.tolist(),
    "num_batches_tracked": bn.num_batches_tracked.item(), "eval_outputs": outputs.tolist()}))
