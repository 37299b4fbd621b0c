"""Train the shipped Iris model offline and write it as plain JSON.

Run once by a maintainer, never by the server or the tests: it needs scikit-learn
(``pip install scikit-learn``), which is deliberately not a runtime or test dependency.
The server only needs the JSON it writes, so the image stays standard-library only.

    python -m inference.train            # rewrites inference/models/*.json

Outputs:
  models/iris-logreg.json  multinomial logistic regression (format 1): feature and class
                           names, one weight row and one intercept per class.
  models/iris-eval.json    the held-out 30 % of the data set, so a test can measure the
                           shipped model's accuracy without scikit-learn.
"""

from __future__ import annotations

import json
from pathlib import Path

MODELS = Path(__file__).resolve().parent / "models"
# Names as the request API spells them (scikit-learn says "sepal length (cm)").
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SEED = 42


def main() -> None:
    """Fit on a stratified 70 % split, evaluate on the rest, write both JSON files."""
    import sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    iris = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.3, random_state=SEED, stratify=iris.target
    )
    # lbfgs on a multiclass target fits the multinomial (softmax) model the server evaluates.
    clf = LogisticRegression(max_iter=1000, random_state=SEED)
    clf.fit(x_train, y_train)
    classes = [str(name) for name in iris.target_names]
    test_accuracy = round(float(clf.score(x_test, y_test)), 4)
    model = {
        "format": 1,
        "name": "iris-logreg",
        "model_version": "1.0.0",
        "kind": "multinomial-logistic-regression",
        "features": FEATURES,
        "classes": classes,
        "coef": [[round(float(w), 10) for w in row] for row in clf.coef_],
        "intercept": [round(float(b), 10) for b in clf.intercept_],
        "training": {
            "data_set": "Iris (scikit-learn bundled copy of the UCI data set)",
            "library": f"scikit-learn {sklearn.__version__}",
            "train_size": len(x_train),
            "train_accuracy": round(float(clf.score(x_train, y_train)), 4),
            "test_accuracy": test_accuracy,
            "random_state": SEED,
        },
    }
    evaluation = {
        "description": "Held-out Iris rows not used for training (stratified 30 %).",
        "features": FEATURES,
        "instances": [[float(v) for v in row] for row in x_test],
        "labels": [classes[int(y)] for y in y_test],
        "expected_accuracy": test_accuracy,
    }
    MODELS.mkdir(exist_ok=True)
    (MODELS / "iris-logreg.json").write_text(json.dumps(model, indent=2) + "\n")
    (MODELS / "iris-eval.json").write_text(json.dumps(evaluation) + "\n")
    print(f"wrote {MODELS}/iris-logreg.json (test accuracy {evaluation['expected_accuracy']})")


if __name__ == "__main__":
    main()
