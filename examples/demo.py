"""Train npdnn on scikit-learn's bundled breast-cancer data and report test metrics.

Run by `make demo`. Uses the Python API until the `npdnn train` command lands.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import npdnn

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

net = npdnn.Network([X.shape[1], 32, 16, 1], seed=0)
history = net.fit(
    X_train,
    y_train,
    optimizer="adam",
    learning_rate=0.001,
    epochs=200,
    batch_size=32,
    early_stopping=True,
    patience=20,
    seed=0,
)
print(net)
print(f"epochs run: {len(history['loss'])}, best epoch: {history['best_epoch'] + 1}")
print(f"{'split':<6} {'accuracy':>9} {'log loss':>9}")
for name, Xs, ys in (("train", X_train, y_train), ("test", X_test, y_test)):
    print(f"{name:<6} {np.mean(net.predict(Xs) == ys):>9.4f} {net.cost(Xs, ys):>9.4f}")
