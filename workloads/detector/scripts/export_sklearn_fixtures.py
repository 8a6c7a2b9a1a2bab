#!/usr/bin/python3
"""Writes the scikit-learn reference fixtures used by test/iforest.spec.ts, test/features.spec.ts and
test/agreement.spec.ts, so CI needs no Python.

Run with Debian's system python3 (python3-sklearn 1.2.1, python3-pandas 1.5.3):
    /usr/bin/python3 workloads/detector/scripts/export_sklearn_fixtures.py [NAB_DIR]
NAB_DIR defaults to $NAB_DIR, else ../shared/reference/nab relative to the repo root.

Outputs (workloads/detector/test/fixtures/):
- sklearn-exact.json: a small IsolationForest fitted by sklearn (trees as flat arrays in the model file's tree
  layout), its offset_, the feature rows it was fitted on plus held-out rows, and sklearn's score_samples and
  predict for both; also the raw points and the pandas seed features / numpy default features of that segment.
- sklearn-agreement.json: sklearn's score_samples (6 significant digits) and offset_ on whole NAB series, for
  the seed and default feature sets, fitted with the same settings as our trainer.
"""
import json
import math
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import IsolationForest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "test", "fixtures")
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

# Must equal src/features.ts.
BASELINE_WINDOW = 288
SHIFT_WINDOW = 3
SCALE_FLOOR_SHARE = 0.02
SPREAD_WINDOW = 6
TREND_WINDOW = 24
FLAT_EPSILON_SHARE = 1e-5
# featureLookback("default") and MIN_OFFSET_ROWS in src/model.ts.
LOOKBACK = BASELINE_WINDOW + SHIFT_WINDOW - 1
MIN_OFFSET_ROWS = 100
# EVENT_POINTS and the default contamination in src/model.ts.
EVENT_POINTS = 4
DEFAULT_CONTAMINATION = 0.014


def run_cost(n):
    return n if n <= EVENT_POINTS else EVENT_POINTS + (n - EVENT_POINTS) / EVENT_POINTS


def event_offset(scores, contamination):
    """src/model.ts eventOffset for one series in time order: the lowest scores are flagged, lowest first, while
    the runs of consecutive flags cost at most contamination x rows (run_cost per run); the offset is the score
    of the first row that would overspend."""
    m = len(scores)
    end_len = np.zeros(m, dtype=np.int64)
    start_len = np.zeros(m, dtype=np.int64)
    flagged = np.zeros(m, dtype=bool)
    budget = contamination * m
    spent = 0.0
    for k in np.argsort(scores, kind="stable"):
        left = end_len[k - 1] if k > 0 and flagged[k - 1] else 0
        right = start_len[k + 1] if k + 1 < m and flagged[k + 1] else 0
        n = left + 1 + right
        cost = run_cost(n) - run_cost(left) - run_cost(right)
        if spent + cost > budget:
            return scores[k]
        spent += cost
        flagged[k] = True
        end_len[k + right] = n
        start_len[k - left] = n
    return np.percentile(scores, 100 * contamination)


def nab_dir():
    d = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("NAB_DIR") or os.path.join(REPO, "..", "shared", "reference", "nab")
    if not os.path.exists(os.path.join(d, "labels", "combined_windows.json")):
        sys.exit(f"no NAB data at {d}; pass the NAB folder (with data/ and labels/) as the first argument")
    return d


def read_series(nab, name):
    df = pd.read_csv(os.path.join(nab, "data", "realAWSCloudwatch", name + ".csv"))
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    # Stable sort, as features.ts does (these files are already in order).
    return df.sort_values("timestamp", kind="stable").reset_index(drop=True)


def seed_features(df):
    """The seed pipeline's feature code, verbatim."""
    df = df.copy()
    df["cpu_usage"] = df["value"]
    df["rolling_mean"] = df["cpu_usage"].rolling(window=5, min_periods=1).mean()
    df["rolling_std"] = df["cpu_usage"].rolling(window=5, min_periods=1).std().fillna(0)
    df["rate_of_change"] = df["cpu_usage"].diff().fillna(0)
    df["hour"] = df["timestamp"].dt.hour
    return df[["cpu_usage", "rolling_mean", "rolling_std", "rate_of_change", "hour"]].to_numpy(dtype=np.float64)


def slog(z):
    return np.sign(z) * np.log1p(np.abs(z))


def scale_floor(v):
    n = len(v)
    s = np.sort(v)
    at = lambda q: s[int(math.floor(q * (n - 1) + 0.5))]
    return max(SCALE_FLOOR_SHARE * (at(0.99) - at(0.01)), 1e-9 * max(1.0, abs(at(0.5))))


def default_features(values):
    """An independent numpy reading of features.ts defaultColumns (for parity and agreement fixtures)."""
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    floor = scale_floor(v)
    eps = FLAT_EPSILON_SHARE * floor
    out = np.zeros((n, 5))
    for i in range(1, n):
        end = max(1, i - SHIFT_WINDOW + 1)
        base = v[max(0, end - BASELINE_WINDOW):end]
        med = np.median(base)
        scale = max(1.4826 * np.median(np.abs(base - med)), floor)
        base_noise = np.mean(np.abs(np.diff(base))) if len(base) >= 2 else 0.0
        noise = max(base_noise, floor)
        short_mean = v[end:i + 1].mean()
        out[i, 0] = slog((v[i] - med) / scale)
        out[i, 1] = slog((v[i] - v[i - 1]) / noise)
        out[i, 2] = slog((short_mean - med) / scale)
        spread_from = max(1, i - SPREAD_WINDOW + 1)
        short_noise = np.mean(np.abs(v[spread_from:i + 1] - v[spread_from - 1:i]))
        out[i, 3] = math.log((short_noise + eps) / (base_noise + eps))
        recent_from = max(0, i - TREND_WINDOW + 1)
        older_from = max(0, i - 2 * TREND_WINDOW + 1)
        if older_from < recent_from:
            out[i, 4] = slog((v[recent_from:i + 1].mean() - v[older_from:recent_from].mean()) / noise)
    return out


def default_v1_features(values):
    """features.ts defaultV1Columns: the default set before issue 15 (feature set default-v1)."""
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    floor = scale_floor(v)
    out = np.zeros((n, 4))
    out[:, 0] = v
    for i in range(1, n):
        end = max(1, i - SHIFT_WINDOW + 1)
        base = v[max(0, end - BASELINE_WINDOW):end]
        med = np.median(base)
        scale = max(1.4826 * np.median(np.abs(base - med)), floor)
        out[i, 1] = slog((v[i] - med) / scale)
        out[i, 2] = slog((v[i] - v[i - 1]) / scale)
        out[i, 3] = slog((v[end:i + 1].mean() - med) / scale)
    return out


def export_trees(forest):
    trees = []
    for est, feats in zip(forest.estimators_, forest.estimators_features_):
        assert list(feats) == list(range(forest.n_features_in_)), "max_features < 1 is not exported"
        t = est.tree_
        trees.append({
            "left": t.children_left.tolist(),
            "right": t.children_right.tolist(),
            "feature": t.feature.tolist(),
            "threshold": t.threshold.tolist(),
            "samples": t.n_node_samples.tolist(),
        })
    return trees


def unix(ts):
    return (ts - pd.Timestamp("1970-01-01")) // pd.Timedelta("1s")


def sig6(x):
    return float(f"{x:.6g}")


def exact_fixture(nab):
    # A segment of ec2_disk_write_bytes_1ef3de with its ~1 h gap (row 2118) and 12 duplicate timestamps
    # (rows 2119-2130); values up to 1e8 are not exact in float32. The held-out rows hold new, larger spikes
    # (rows 2618-2688), so predict is exercised on both labels.
    df = read_series(nab, "ec2_disk_write_bytes_1ef3de").iloc[2000:2700].reset_index(drop=True)
    X = seed_features(df)
    n_train = 450
    forest = IsolationForest(n_estimators=12, contamination=0.05, random_state=7).fit(X[:n_train])
    return {
        "generator": "scripts/export_sklearn_fixtures.py",
        "sklearn": sklearn.__version__,
        "pandas": pd.__version__,
        "series": "realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv data rows 2000-2699",
        "points": [{"timestamp": int(t), "value": float(v)} for t, v in zip(unix(df["timestamp"]), df["value"])],
        "seedFeatures": X.tolist(),
        "defaultFeatures": default_features(df["value"].to_numpy()).tolist(),
        "defaultV1Features": default_v1_features(df["value"].to_numpy()).tolist(),
        "model": {
            "featureSet": "seed",
            "params": {"trees": 12, "maxSamples": 256, "contamination": 0.05, "seed": 7},
            "maxSamplesUsed": int(forest.max_samples_),
            "offset": float(forest.offset_),
            "trees": export_trees(forest),
        },
        "train": {
            "rows": [0, n_train],
            "scores": forest.score_samples(X[:n_train]).tolist(),
            "labels": forest.predict(X[:n_train]).tolist(),
        },
        "heldOut": {
            "rows": [n_train, len(X)],
            "scores": forest.score_samples(X[n_train:]).tolist(),
            "labels": forest.predict(X[n_train:]).tolist(),
        },
    }


# Same settings as our trainer: the seed configuration and trainModel's defaults.
AGREEMENT = [
    ("seed", "ec2_cpu_utilization_825cc2", 0.05),
    ("seed", "rds_cpu_utilization_e47b3b", 0.05),
    ("default", "ec2_cpu_utilization_825cc2", DEFAULT_CONTAMINATION),
    ("default", "grok_asg_anomaly", DEFAULT_CONTAMINATION),
    ("default", "rds_cpu_utilization_cc0c53", DEFAULT_CONTAMINATION),
]


def agreement_fixture(nab):
    cases = []
    for feature_set, name, contamination in AGREEMENT:
        df = read_series(nab, name)
        X = seed_features(df) if feature_set == "seed" else default_features(df["value"].to_numpy())
        forest = IsolationForest(n_estimators=100, contamination=contamination, random_state=42).fit(X)
        scores = forest.score_samples(X)
        offset = forest.offset_
        if feature_set != "seed" and len(scores) - LOOKBACK >= MIN_OFFSET_ROWS:
            # src/model.ts offsetRows and eventOffset: the threshold from the rows whose features are fully
            # formed, in time order, each run of consecutive flags counted as one event.
            offset = event_offset(scores[LOOKBACK:], contamination)
        cases.append({
            "series": f"realAWSCloudwatch/{name}.csv",
            "featureSet": feature_set,
            "params": {"trees": 100, "maxSamples": 256, "contamination": contamination, "randomState": 42},
            "offset": sig6(offset),
            "flagged": int((scores - offset < 0).sum()),
            "scores": [sig6(s) for s in scores],
        })
    return {"generator": "scripts/export_sklearn_fixtures.py", "sklearn": sklearn.__version__, "cases": cases}


def write(name, obj):
    path = os.path.join(FIXTURES, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path, REPO)} ({os.path.getsize(path):,} bytes)")


def main():
    nab = nab_dir()
    os.makedirs(FIXTURES, exist_ok=True)
    write("sklearn-exact.json", exact_fixture(nab))
    write("sklearn-agreement.json", agreement_fixture(nab))


if __name__ == "__main__":
    main()
