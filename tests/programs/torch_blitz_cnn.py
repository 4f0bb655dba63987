"""PyTorch's 60 Minute Blitz, "Neural Networks": the Net with nn.Conv2d(1, 6, 3) and
nn.Conv2d(6, 16, 3), F.max_pool2d(F.relu(...), (2, 2)) and F.max_pool2d(..., 2),
x.view(-1, self.num_flat_features(x)) and three nn.Linear layers; a random input, a backward
pass from random gradients, nn.MSELoss on a random target, the manual update through
f.data.sub_, then optim.SGD(net.parameters(), lr=0.01) with zero_grad / backward / step.
The input is 16x16 instead of 32x32, so fc1 takes 16 * 2 * 2 features (the second pool rounds
5 down to 2, as ceil_mode=False does); the optimizer's step is taken five times instead of
once, and the lines that print loss.grad_fn.next_functions are left out (graphc's autograd
records have no next_functions)."""
# ruff: noqa: A001, UP008 (the tutorial's own spelling)

import json

import graphc.eager as torch
import graphc.nn as nn
import graphc.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        # 1 input image channel, 6 output channels, 3x3 square convolution
        # kernel
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 2 * 2, 120)  # 2*2 from image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        # Max pooling over a (2, 2) window
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        # If the size is a square you can only specify a single number
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


net = Net()
print(net)

params = list(net.parameters())
print(len(params))
print(params[0].size())  # conv1's .weight
init = {k: v.tolist() for k, v in net.state_dict().items()}

input = torch.randn(1, 1, 16, 16)
out = net(input)
print(out)
first_out = out.tolist()

net.zero_grad()
out.backward(torch.randn(1, 10))

output = net(input)
target = torch.randn(10)  # a dummy target, for example
target = target.view(1, -1)  # make it the same shape as output
criterion = nn.MSELoss()

loss = criterion(output, target)
print(loss)
first_loss = loss.item()

net.zero_grad()     # zeroes the gradient buffers of all parameters

print('conv1.bias.grad before backward')
print(net.conv1.bias.grad)
grad_before = net.conv1.bias.grad

loss.backward()

print('conv1.bias.grad after backward')
print(net.conv1.bias.grad)
grad_after = net.conv1.bias.grad.tolist()

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)

import graphc.optim as optim  # noqa: E402 (where the tutorial imports it)

# create your optimizer
optimizer = optim.SGD(net.parameters(), lr=0.01)

losses = []
for _ in range(5):
    # in your training loop:
    optimizer.zero_grad()   # zero the gradient buffers
    output = net(input)
    loss = criterion(output, target)
    loss.backward()
    optimizer.step()    # Does the update
    losses.append(loss.item())
print(losses)

print("RESULT", json.dumps({
    "init": init, "input": input.tolist(), "target": target.tolist(), "out": first_out,
    "loss": first_loss, "grad_before": grad_before, "grad_after": grad_after,
    "params": len(params), "conv1_weight_size": list(params[0].size()), "losses": losses,
    "final": {k: v.tolist() for k, v in net.state_dict().items()}}))
