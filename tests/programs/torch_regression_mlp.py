"""A beginner's PyTorch regression network: numpy data made into tensors with torch.tensor,
nn.Sequential(nn.Linear, nn.ReLU, nn.Linear), nn.MSELoss, optim.SGD with momentum, and the
zero_grad / backward / step loop."""

import json

import numpy as np

import graphc.eager as torch
import graphc.nn as nn
import graphc.optim as optim

np.random.seed(0)
torch.manual_seed(0)

N, D_in, H, D_out = 64, 10, 32, 1
x = torch.tensor(np.random.randn(N, D_in).astype(np.float32))
y = torch.tensor(np.random.randn(N, D_out).astype(np.float32))

model = nn.Sequential(
    nn.Linear(D_in, H),
    nn.ReLU(),
    nn.Linear(H, D_out),
)
init = {k: v.tolist() for k, v in model.state_dict().items()}
loss_fn = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

losses = []
for t in range(200):
    y_pred = model(x)
    loss = loss_fn(y_pred, y)
    if t % 50 == 0:
        print(t, loss.item())
    losses.append(loss.item())

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print("final loss", loss_fn(model(x), y).item())
print("RESULT", json.dumps({"init": init, "losses": losses,
                            "final": {k: v.tolist() for k, v in model.state_dict().items()}}))
