"""PyTorch's 60 Minute Blitz, "A Gentle Introduction to torch.autograd" (the code that needs
no torchvision): Q = 3a^3 - b^2 differentiated with Q.backward(gradient=external_grad), the
gradients checked against 9a^2 and -2b with ==, and which results require gradients."""

import json

import graphc.eager as torch

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)

Q = 3*a**3 - b**2

external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)

# check if collected gradients are correct
print(9*a**2 == a.grad)
print(-2*b == b.grad)
result = {"Q": Q.tolist(), "a_grad": a.grad.tolist(), "b_grad": b.grad.tolist(),
          "a_check": (9*a**2 == a.grad).tolist(), "b_check": (-2*b == b.grad).tolist()}

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")
result["requires_grad"] = [a.requires_grad, b.requires_grad]

print("RESULT", json.dumps(result))
