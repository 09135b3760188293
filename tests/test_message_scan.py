"""The scanner the demo's message log is judged with finds what it must, and only that."""

from __future__ import annotations

from tests.message_scan import api_names, problems, visible_text

API = ["StageName", "AccountId", "OwnerId", "CloseDate", "IsClosed"]


def test_a_database_dump_is_caught() -> None:
    message = {"text": "Deal over 100k: Acme", "blocks": [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*AccountId*\n0018d0000Wlk2rmAQA"},
                                       {"type": "mrkdwn", "text": "*Owner ID*\n0058d0000ylsnaf"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*StageName*: Prospecting → Closed Won\n"
                                                                 "*Amount*: 91800 → 153,600.50"}},
    ]}
    found = problems(message, API)
    assert "Salesforce Id 0018d0000Wlk2rmAQA" in found and "Salesforce Id 0058d0000ylsnaf" in found
    assert "API name AccountId" in found and "API name StageName" in found
    assert "amount without currency '91800'" in found and "amount without currency '153,600.50'" in found


def test_what_a_person_would_write_passes() -> None:
    message = {"text": "Deal over 100k: Acme - Platform Deal", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": "*<https://x.my.salesforce.com/0068d00000AbCdEfGh|Acme - Platform Deal>*"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Account Name*\n<https://x/0018d0000Wlk2rmAQA|Acme>"},
                                       {"type": "mrkdwn", "text": "*Opportunity Owner*\n<@U0123ABC>"},
                                       {"type": "mrkdwn", "text": "*Amount*\n€91,800.00 → €153,600.00"},
                                       {"type": "mrkdwn", "text": "*Montant*\n91 800,00 € → 153\u202f600,00\xa0€"},
                                       {"type": "mrkdwn", "text": "*Close Date*\nDec 3, 2026, 4:04 PM · 2026"},
                                       {"type": "mrkdwn", "text": "*Probability (%)*\n25 % and 12 more"}]},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "View in Salesforce"},
                                          "url": "https://x/0068d00000AbCdEfGh", "value": "0068d00000AbCdEfGh"}]},
    ], "metadata": {"event_payload": {"record_id": "0068d00000AbCdEfGh"}}}
    assert problems(message, API) == [], visible_text(message)


def test_an_api_name_that_reads_as_its_label_is_no_api_name() -> None:
    class Field:
        def __init__(self, name: str, label: str) -> None:
            self.name, self.label = name, label

    fields = [Field("Probability", "Probability (%)"), Field("Amount", "Amount"), Field("StageName", "Stage"),
              Field("AccountId", "Account ID"), Field("IsClosed", "Closed")]
    assert api_names(fields) == {"StageName", "AccountId", "IsClosed"}
