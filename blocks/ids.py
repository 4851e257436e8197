"""The action and block ids that buttons, modals and handlers rely on (tests assert them)."""

from typing import Final

LOG_COMMUNICATION: Final = "log_communication"
REFRESH_CARD: Final = "refresh_card"
SHARE_CARD: Final = "share_card"
OPEN_HUBSPOT: Final = "open_hubspot"
OPEN_ASANA: Final = "open_asana"
OPEN_QUICKBOOKS: Final = "open_quickbooks"
OPEN_NETSUITE: Final = "open_netsuite"
OPEN_ACCOUNTING: Final = {"quickbooks": OPEN_QUICKBOOKS, "netsuite": OPEN_NETSUITE}  # by the money section's source
PICK_DEAL: Final = "pick_deal"
CARD_ACTIONS_BLOCK: Final = "card_actions"
SUGGEST_DEAL: Final = "suggest_deal"
LOG_MODAL_CALLBACK: Final = "log_communication_modal"
LOG_KIND_BLOCK: Final = "log_kind"
LOG_KIND_ACTION: Final = "kind"
LOG_DATE_BLOCK: Final = "log_date"
LOG_DATE_ACTION: Final = "date"
LOG_SUMMARY_BLOCK: Final = "log_summary"
LOG_SUMMARY_ACTION: Final = "summary"
SHOW_CARD: Final = "show_card"
HOME_FILTER: Final = "home_filter"
HOME_PAGE: Final = "home_page"
HOME_DIGEST: Final = "home_digest"
UNLINKED_LINK: Final = "unlinked_link"  # + "_<n>": one per suggestion on the page
UNLINKED_PAGE: Final = "unlinked_page"
