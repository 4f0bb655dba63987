"""PyTorch's 60 Minute Blitz, "Autograd: Automatic Differentiation" as PyTorch 1.x taught it:
torch.ones(2, 2, requires_grad=True), grad_fn, out.backward() and x.grad, requires_grad_(),
a vector-Jacobian product y.backward(v) after doubling y while y.data.norm() < 1000, then
torch.no_grad(), detach() and x.eq(y).all()."""

import json

import graphc.eager as torch

x = torch.ones(2, 2, requires_grad=True)
print(x)

y = x + 2
print(y)

print(y.grad_fn)

z = y * y * 3
out = z.mean()

print(z, out)

a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)

out.backward()

print(x.grad)
result = {"out": out.item(), "x_grad": x.grad.tolist(),
          "requires_grad": [a.requires_grad, b.grad_fn is not None]}

x = torch.randn(3, requires_grad=True)

y = x * 2
while y.data.norm() < 1000:
    y = y * 2

print(y)
result["x"], result["y"] = x.tolist(), y.tolist()

v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)

print(x.grad)
result["vjp"] = x.grad.tolist()

print(x.requires_grad)
print((x ** 2).requires_grad)

with torch.no_grad():
    print((x ** 2).requires_grad)

print(x.requires_grad)
y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())
result["flags"] = [x.requires_grad, y.requires_grad, bool(x.eq(y).all())]

print("RESULT", json.dumps(result))
