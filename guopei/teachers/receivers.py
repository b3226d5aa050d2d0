"""What the teacher database does when an earlier stage announces an event (connected in `apps.ready`).

The tender stage comes before this one and does not import it (docs/architecture.md); it sends
`contract_signed`, and this module answers it through a service.
"""

from __future__ import annotations

from typing import Any

from . import services


def intake_from_contract(sender: Any, *, contract: Any, actor: Any, **kwargs: Any) -> None:
    """A signed contract's lead receives the project's nominees (MGMT-5)."""
    services.intake_assign_from_contract(contract=contract, actor=actor)
