"""Two certs replicas starting together on a folder without keys sign with one ring (issue 17).

In development and tests each replica generates the missing ring at start.
Before, the one that saved last replaced the other's file, and the other went
on signing credentials with a key that nobody published.
"""
from __future__ import annotations

from certs.credentials import keys


def test_a_replica_that_loses_the_race_to_generate_signs_with_the_winners_ring(tmp_path, monkeypatch):
    winner = keys.new_ring("cisco")
    generate = keys.new_ring

    def generated_while_the_other_replica_saved(program):
        ring = generate(program)
        keys.save(winner, tmp_path)  # the other replica's save lands between our generate and save
        return ring

    monkeypatch.setattr(keys, "new_ring", generated_while_the_other_replica_saved)

    loaded = keys.load("cisco", tmp_path, {}, generate_missing=True)

    assert loaded.current_id == winner.current_id
    assert keys.load("cisco", tmp_path, {}).current_id == winner.current_id
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cisco.json"]  # no partial file left
