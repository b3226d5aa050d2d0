"""After a rush: count overbooked seats and check that every offering's counter equals its held seats.

    python bench/rush_check.py     → JSON: offerings, seats held, waitlisted, overbooked, counter mismatches,
                                     enrolments, seats promoted from the waitlist
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rush_setup import OUT, setup


def check() -> dict:
    from django.db.models import Count, Q

    from guopei.delivery.models import Enrolment, Offering, Seat

    world = json.loads((OUT / "rush_world.json").read_text())
    rows = (Offering.objects.filter(pk__in=world["offerings"])
            .annotate(held=Count("seats", filter=Q(seats__status="held")),
                      waiting=Count("seats", filter=Q(seats__status="waitlisted"))))
    promoted = Seat.objects.filter(offering__in=world["offerings"], promoted_at__isnull=False).count()
    result = {"offerings": 0, "capacity": 0, "held": 0, "waitlisted": 0, "overbooked": 0, "counter_mismatch": 0,
              "enrolled": 0, "enrolment_mismatch": 0, "promoted": promoted}
    for o in rows:
        result["offerings"] += 1
        result["capacity"] += o.capacity
        result["held"] += o.held
        result["waitlisted"] += o.waiting
        result["overbooked"] += max(o.held - o.capacity, 0) + max(o.taken - o.capacity, 0)
        result["counter_mismatch"] += int(o.taken != o.held)
        enrolled = Enrolment.objects.filter(klass_id=o.klass_id, status="enrolled").count()
        result["enrolled"] += enrolled
        result["enrolment_mismatch"] += int(enrolled != o.held)  # one class per offering here: one each
    return result


if __name__ == "__main__":
    setup()
    print(json.dumps(check()))
