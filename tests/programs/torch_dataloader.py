"""A beginner's PyTorch training loop over a DataLoader: numpy data made into a TensorDataset,
random_split into training and validation sets, DataLoader(shuffle=True) mini-batches for an
nn.Sequential(nn.Linear, nn.Tanh, nn.Linear) regression with nn.MSELoss and optim.SGD with
momentum, and the validation loss under torch.no_grad() each epoch. The targets of every
training batch are collected (`seen`) so that the reference can follow the shuffled order."""

import json

import numpy as np

import graphc.eager as torch
import graphc.nn as nn
import graphc.optim as optim
from graphc.eager.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
np.random.seed(0)

# Toy data: a noisy sine of a linear function of three features
X = np.random.randn(120, 3).astype(np.float32)
noise = 0.1 * np.random.randn(120, 1)
y = (np.sin(X @ np.array([[1.5], [-2.0], [0.5]])) + noise).astype(np.float32)

dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
train_set, val_set = random_split(dataset, [100, 20])
train_loader = DataLoader(train_set, batch_size=16, shuffle=True)
val_loader = DataLoader(val_set, batch_size=16)

model = nn.Sequential(
    nn.Linear(3, 16),
    nn.Tanh(),
    nn.Linear(16, 1),
)
init = {k: v.tolist() for k, v in model.state_dict().items()}
loss_fn = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

losses, val_losses, seen = [], [], []
for epoch in range(20):
    model.train()
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        seen.append(yb[:, 0].tolist())

    model.eval()
    with torch.no_grad():
        val_loss = sum(loss_fn(model(xb), yb).item() * len(xb) for xb, yb in val_loader)
        val_loss /= len(val_set)
    val_losses.append(val_loss)
    if epoch % 5 == 0:
        print(f"epoch {epoch}: train loss {loss.item():.4f}, val loss {val_loss:.4f}")

print("RESULT", json.dumps({"init": init, "seen": seen, "losses": losses,
                            "val_losses": val_losses,
                            "final": {k: v.tolist() for k, v in model.state_dict().items()}}))
