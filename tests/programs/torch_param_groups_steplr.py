"""A beginner's PyTorch classifier trained with per-parameter options and a learning-rate
schedule, as torch.optim's documentation writes them: a model with `base` and `classifier`
submodules, optim.SGD given two parameter groups (the classifier's with its own lr, momentum
from the defaults), and lr_scheduler.StepLR stepped once per epoch after the mini-batch
loop. Three Gaussian blobs made with numpy, shuffled once; nn.CrossEntropyLoss."""

import json

import numpy as np

import graphc.eager as torch
import graphc.nn as nn
import graphc.optim as optim
from graphc.optim.lr_scheduler import StepLR

torch.manual_seed(0)
np.random.seed(0)

# Toy data: three Gaussian blobs in 2-D, in a random order
centers = [[0, 3], [3, -2], [-3, -2]]
X = np.concatenate([np.random.randn(100, 2) + c for c in centers]).astype(np.float32)
y = np.repeat(np.arange(3), 100)
order = np.random.permutation(len(X))
X_train, y_train = torch.tensor(X[order]), torch.tensor(y[order])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.base = nn.Sequential(nn.Linear(2, 16), nn.Tanh())
        self.classifier = nn.Linear(16, 3)

    def forward(self, x):
        return self.classifier(self.base(x))


model = Net()
init = {k: v.tolist() for k, v in model.state_dict().items()}
criterion = nn.CrossEntropyLoss()

# the base learns with the default lr, the classifier with its own
optimizer = optim.SGD([
    {'params': model.base.parameters()},
    {'params': model.classifier.parameters(), 'lr': 0.05}
], lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=5, gamma=0.5)

batch_size = 50
losses, lrs = [], []
for epoch in range(20):
    lrs.append(scheduler.get_last_lr())
    for i in range(0, len(X_train), batch_size):
        inputs, labels = X_train[i:i + batch_size], y_train[i:i + batch_size]
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    if epoch % 5 == 4:
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, lr {scheduler.get_last_lr()}")

with torch.no_grad():
    _, predicted = torch.max(model(X_train), 1)
    accuracy = (predicted == y_train).sum().item() / len(y_train)
print(f"accuracy: {accuracy:.3f}")

print("RESULT", json.dumps({
    "init": init, "losses": losses, "lrs": lrs, "accuracy": accuracy,
    "final_lrs": [group['lr'] for group in optimizer.param_groups],
    "final": {k: v.tolist() for k, v in model.state_dict().items()}}))
