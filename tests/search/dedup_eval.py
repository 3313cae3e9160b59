#!/usr/bin/env python3
"""FPIR / FNIR of the dedup decision (docs/search.md) on the shared dev set.

Input: JSON lines of `eid face embed` for ../shared/faces/dev (labels.csv gives
each image's person) and for ../shared/faces/cohort (one photo per person).
Gallery: each dev person's first image plus the whole cohort (filler).
Mated probes: every other image of a dev person (FNIR: the best score for
its own enrolled image is below the threshold, or not found at all).
Non-mated probes: the cohort images searched against the dev gallery alone
(FPIR: any score at or above the threshold). Scores are exact float dot
products, the ones the authority decides on after its int8 scan's re-score.

  xargs build/eid face embed < dev.list > dev.jsonl   (likewise the cohort)
  python3 tests/search/dedup_eval.py dev.jsonl cohort.jsonl ../shared/faces/dev/labels.csv
"""
import csv, json, os, sys

def load(path):
    out = {}
    for line in open(path):
        j = json.loads(line)
        if j.get("faces_found") == 1 and "embedding" in j:
            out[j["image"]] = j["embedding"]
    return out

def dot(a, b):
    return sum(x * y for x, y in zip(a, b))

def main():
    dev, cohort, labels = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
    root = os.path.dirname(labels)
    person = {}
    for r in csv.DictReader(open(labels)):
        person[os.path.normpath(os.path.join(root, r["path"]))] = r["person_id"]
    by = {}
    for img in sorted(dev):
        p = person.get(os.path.normpath(img))
        if p:
            by.setdefault(p, []).append(img)
    gal = [(p, dev[imgs[0]]) for p, imgs in by.items()]
    filler = list(cohort.values())
    mated = [(p, dev[i]) for p, imgs in by.items() for i in imgs[1:]]
    ths = [0.93, 0.94, 0.95, 0.9564, 0.96, 0.9649, 0.97, 0.975, 0.98]
    # mated: the own enrolment's score, and the best other (dev + filler) score
    own, other = [], []
    for p, v in mated:
        own.append(max(dot(v, g) for q, g in gal if q == p))
        other.append(max([dot(v, g) for q, g in gal if q != p] + [dot(v, f) for f in filler]))
    # non-mated: cohort faces against the dev gallery
    nm = [max(dot(v, g) for _, g in gal) for v in filler]
    # per-comparison FMR among cohort pairs (different people by construction)
    fv = filler
    pairs = [dot(fv[i], fv[j]) for i in range(len(fv)) for j in range(i + 1, len(fv))]
    print(f"gallery {len(gal)} dev persons + {len(filler)} cohort filler; "
          f"{len(mated)} mated probes; {len(nm)} non-mated probes; {len(pairs)} impostor pairs")
    print("threshold  FNIR(mated missed)  mated-with-wrong-candidate  FPIR(non-mated, N=%d)  FMR/pair" % len(gal))
    for t in ths:
        fnir = sum(o < t for o in own) / len(own)
        wrong = sum(x >= t for x in other) / len(other)
        fpir = sum(x >= t for x in nm) / len(nm)
        fmr = sum(x >= t for x in pairs) / len(pairs)
        print(f"{t:9.4f}  {fnir:18.4f}  {wrong:26.4f}  {fpir:21.4f}  {fmr:.2e}")

if __name__ == "__main__":
    main()
