"""The linear regression of yunjey's pytorch-tutorial (01-basics/linear_regression): numpy
arrays turned into tensors with torch.from_numpy, nn.Linear(1, 1), nn.MSELoss,
torch.optim.SGD, the prediction detached to numpy, and torch.save of the state_dict. The
matplotlib plot of the fitted line is left out."""
# ruff: noqa: UP032 (the tutorial's own formatting)

import json

import numpy as np

import graphc.eager as torch
import graphc.nn as nn

# Hyper-parameters
input_size = 1
output_size = 1
num_epochs = 60
learning_rate = 0.001

# Toy dataset
x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168],
                    [9.779], [6.182], [7.59], [2.167], [7.042],
                    [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)

y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573],
                    [3.366], [2.596], [2.53], [1.221], [2.827],
                    [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)

# Linear regression model
model = nn.Linear(input_size, output_size)
init = {k: v.tolist() for k, v in model.state_dict().items()}

# Loss and optimizer
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

# Train the model
losses = []
for epoch in range(num_epochs):
    # Convert numpy arrays to torch tensors
    inputs = torch.from_numpy(x_train)
    targets = torch.from_numpy(y_train)

    # Forward pass
    outputs = model(inputs)
    loss = criterion(outputs, targets)

    # Backward and optimize
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    if (epoch+1) % 5 == 0:
        print ('Epoch [{}/{}], Loss: {:.4f}'.format(epoch+1, num_epochs, loss.item()))
    losses.append(loss.item())

# Plot the graph
predicted = model(torch.from_numpy(x_train)).detach().numpy()

# Save the model checkpoint
torch.save(model.state_dict(), 'model.ckpt')

print("RESULT", json.dumps({"init": init, "losses": losses,
                            "predicted": predicted[:, 0].tolist()}))
