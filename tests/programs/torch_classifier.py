"""A beginner's PyTorch feed-forward classifier: three Gaussian blobs made with numpy, a Net
subclass of nn.Module with two nn.Linear layers and F.relu, F.cross_entropy, optim.Adam, and
the accuracy of torch.max(outputs, 1) under torch.no_grad()."""

import json

import numpy as np

import graphc.eager as torch
import graphc.nn as nn
import graphc.nn.functional as F
import graphc.optim as optim

torch.manual_seed(0)
np.random.seed(0)

# Toy data: three Gaussian blobs in 2-D
centers = [[0, 3], [3, -2], [-3, -2]]
X = np.concatenate([np.random.randn(100, 2) + c for c in centers]).astype(np.float32)
y = np.repeat(np.arange(3), 100)

X_train = torch.tensor(X)
y_train = torch.tensor(y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


net = Net()
init = {k: v.tolist() for k, v in net.state_dict().items()}
optimizer = optim.Adam(net.parameters(), lr=0.01)

losses = []
for epoch in range(100):
    optimizer.zero_grad()
    outputs = net(X_train)
    loss = F.cross_entropy(outputs, y_train)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {loss.item():.4f}")

with torch.no_grad():
    outputs = net(X_train)
    _, predicted = torch.max(outputs, 1)
    accuracy = (predicted == y_train).sum().item() / len(y_train)
print(f"accuracy: {accuracy:.3f}")

print("RESULT", json.dumps({"init": init, "losses": losses, "accuracy": accuracy}))
