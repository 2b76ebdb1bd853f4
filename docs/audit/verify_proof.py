#!/usr/bin/env python3
"""A standalone checker for Bluelamp audit proofs: Python's standard library only, so a
monitoring centre can check what `bluelamp audit prove` prints without Bluelamp's code.

    bluelamp audit prove --seq 42 > proof.json && python3 verify_proof.py proof.json
    bluelamp audit prove --from-size 1000 --to-size 2000 > c.json && python3 verify_proof.py c.json

Checks the Merkle arithmetic of RFC 6962 / RFC 9162 section 2.1 (leaf hashes 0x00-prefixed,
interior hashes 0x01-prefixed). The checkpoints' Ed25519 signatures are in the JSON as
signed notes; check them with any Ed25519 tool and the key from `bluelamp audit public-key`.
Exit status 0 when the proof holds, 1 when it does not.
"""
import hashlib, json, sys


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf, index, size, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, root_m, root_n, proof):
    if m == 0 or m > n:
        return False
    if m == n:
        return not proof and root_m == root_n
    path = ([root_m] if m & (m - 1) == 0 else []) + list(proof)
    if not path:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root_m and sr == root_n and sn == 0


def main():
    doc = json.load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    h = bytes.fromhex
    proof = [h(x) for x in doc["proof"]]
    if doc["type"] == "inclusion":
        ok = verify_inclusion(h(doc["leaf_hash"]), doc["leaf_index"], doc["tree_size"], proof, h(doc["root"]))
        what = f"audit record {doc['seq']} is at position {doc['leaf_index']} of the {doc['tree_size']}-record log"
    else:
        ok = verify_consistency(doc["from_size"], doc["to_size"], h(doc["from_root"]), h(doc["to_root"]), proof)
        what = f"the {doc['from_size']}-record log is a prefix of the {doc['to_size']}-record log"
    print(("VALID: " if ok else "INVALID: ") + what)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
