"""Short setup help per signature preset, shown next to the secret field in the workflow form."""

from __future__ import annotations

PRESET_HELP: dict[str, str] = {
    "none": (
        "Anyone who knows this URL can start the workflow. Choose the sender's preset "
        "below if it signs its requests, so forged requests are turned away."
    ),
    "github": (
        "In GitHub open the repository or organization, then Settings > Webhooks > "
        "Add webhook. Paste this URL as the Payload URL, choose application/json, type a "
        "long random Secret there and paste the same secret here."
    ),
    "stripe": (
        "In the Stripe Dashboard open Developers > Webhooks (Workbench) > Add destination "
        "and paste this URL. Then open the endpoint and reveal its Signing secret "
        "(it starts with whsec_) and paste it here."
    ),
    "slack": (
        "In your Slack app settings (api.slack.com/apps) open Event Subscriptions and "
        "paste this URL as the Request URL; it is verified automatically. Copy the "
        "Signing Secret from Basic Information > App Credentials and paste it here."
    ),
    "shopify": (
        "In Shopify admin open Settings > Notifications > Webhooks > Create webhook and "
        "paste this URL; the signing secret is shown under the webhook list. For an app, "
        "use the app's client secret from the Partner Dashboard instead."
    ),
    "standard_webhooks": (
        "For senders that follow Standard Webhooks or use Svix (for example Resend, "
        "Clerk, Replicate): add this URL as an endpoint in their webhook settings, then "
        "copy the endpoint's signing secret (it starts with whsec_) and paste it here."
    ),
    "twilio": (
        "In the Twilio Console open your phone number (or Messaging Service) and paste "
        "this URL as the webhook for incoming messages or calls. Paste your Auth Token "
        "from the Console dashboard here. Use the URL exactly as shown, since Twilio "
        "signs it."
    ),
    "hmac": (
        "For any other sender that signs with an HMAC of the body: enter the header that "
        "carries the signature, the hash (usually SHA-256), whether it is hex or base64, "
        "any text before the signature (such as sha256=) and the shared secret."
    ),
}

ROTATION_HELP = (
    "While rotating a secret, paste the old and the new one on separate lines; "
    "a request signed with either is accepted."
)
