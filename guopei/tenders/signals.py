"""Events of the tender stage that later stages act on, without the tender stage importing them.

`contract_signed` is sent inside the contract-signing transaction, after the contract, its members and its
commitment are saved; a receiver's writes share that transaction, and a receiver that raises undoes the
signing. Sent with `send`, not `send_robust`, for that reason.
"""

from __future__ import annotations

from django.dispatch import Signal

# Arguments: contract (tenders.Contract), actor (the user who signed it).
contract_signed = Signal()
