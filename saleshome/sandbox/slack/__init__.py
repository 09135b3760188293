"""A local, faithful stand-in for the Slack Web API (see ``docs/slack-sandbox.md``).

``from saleshome.sandbox.slack.server import SlackSandbox``; ``with SlackSandbox(seed=7) as
sandbox:`` serves ``sandbox.info.api_url`` for slack-sdk's ``WebClient(base_url=...)``.
Nothing here is imported by the pipeline, and nothing is shared with ``saleshome.slack``.
"""

__all__ = [
    "api", "blocks", "calls", "chat", "cli", "clock", "control", "conversations", "delivery", "events", "faults",
    "ids", "interactivity", "messages", "mrkdwn", "objects", "ratelimit", "response_url_posts", "response_urls", "seed", "server",
    "signing", "team", "users", "viewer", "views", "world",
]
