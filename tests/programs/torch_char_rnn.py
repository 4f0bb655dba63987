"""The char-rnn tutorials' character-level language model: nn.Embedding, a batch_first
nn.LSTM fed the hidden state init_hidden() makes, and nn.Linear on the flattened outputs,
trained with nn.CrossEntropyLoss and Adam. The text is a fixed string and the mini-batches
start at offsets drawn with numpy from a fixed seed; the last line collects the initial
weights, the losses and the final weights."""

import json

import numpy as np

import graphc.eager as torch
import graphc.nn as nn

torch.manual_seed(1)
np.random.seed(0)
text = "hello world, hello graph compiler. " * 4
chars = sorted(set(text))
char2idx = {c: i for i, c in enumerate(chars)}
encoded = np.array([char2idx[c] for c in text])
vocab = len(chars)


class CharRNN(nn.Module):
    def __init__(self, vocab_size, hidden_size=12, n_layers=1):
        super().__init__()
        self.hidden_size, self.n_layers = hidden_size, n_layers
        self.embed = nn.Embedding(vocab_size, 6)
        self.lstm = nn.LSTM(6, hidden_size, n_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, hidden):
        out, hidden = self.lstm(self.embed(x), hidden)
        out = out.contiguous().view(-1, self.hidden_size)
        return self.fc(out), hidden

    def init_hidden(self, batch_size):
        return (torch.zeros(self.n_layers, batch_size, self.hidden_size),
                torch.zeros(self.n_layers, batch_size, self.hidden_size))


model = CharRNN(vocab)
init = {k: v.tolist() for k, v in model.state_dict().items()}
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
seq_len, batch = 8, 4
losses, starts_used = [], []
for epoch in range(12):
    hidden = model.init_hidden(batch)
    starts = np.random.randint(0, len(encoded) - seq_len - 1, batch)
    starts_used.append(starts.tolist())
    xb = torch.tensor(np.stack([encoded[s:s + seq_len] for s in starts]))
    yb = torch.tensor(np.stack([encoded[s + 1:s + seq_len + 1] for s in starts]))
    optimizer.zero_grad()
    out, hidden = model(xb, hidden)
    loss = criterion(out, yb.view(-1))
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    print("epoch", epoch, "loss", round(loss.item(), 4))
final = {k: v.tolist() for k, v in model.state_dict().items()}
print("RESULT", json.dumps({"init": init, "text": text, "starts": starts_used,
                            "losses": losses, "final": final}))
