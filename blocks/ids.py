"""The action and block ids that buttons, modals and handlers rely on (tests assert them)."""
from typing import Final

LOG_COMMUNICATION: Final = "log_communication"
REFRESH_CARD: Final = "refresh_card"
SHARE_CARD: Final = "share_card"
OPEN_HUBSPOT: Final = "open_hubspot"
OPEN_ASANA: Final = "open_asana"
OPEN_QUICKBOOKS: Final = "open_quickbooks"
PICK_DEAL: Final = "pick_deal"
CARD_ACTIONS_BLOCK: Final = "card_actions"
