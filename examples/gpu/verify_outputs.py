"""Re-check the TVM outputs a GPU run saved (gpu_check.py writes $OUT/outputs/<model>_<batch>.npz)
against the bundle's references, here, with bnncc.verify's rules.

    .venv/bin/python examples/gpu/verify_outputs.py --bundle .gpu --outputs <fetched OUT>/outputs
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bnncc.verify import check_output  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", default=".gpu")
    parser.add_argument("--outputs", required=True)
    args = parser.parse_args(argv)
    bundle, outputs = Path(args.bundle), Path(args.outputs)
    failed = checked = 0
    for entry in json.loads((bundle / "bundle.json").read_text())["models"]:
        for batch, files in entry["data"].items():
            saved = outputs / f"{entry['key']}_{batch}.npz"
            if not saved.is_file():
                print(f"{entry['key']} batch {batch}: no output saved")
                failed += 1
                continue
            ours = list(np.load(saved).values())
            references = list(np.load(bundle / files["references"]).values())
            for i, (name, a, b) in enumerate(zip(entry["outputs"], ours, references)):
                check = check_output(i, name, a, b)
                checked += 1
                if not check.ok:
                    failed += 1
                    print(f"{entry['key']} batch {batch} output {name}: {check}")
    print(f"{checked - failed} of {checked} outputs match their reference")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
