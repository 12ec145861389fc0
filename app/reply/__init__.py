"""The reply in flight: from the composer's Send to the saved row, with Continue, the
"reading the prompt" line and the token budget under the message box."""
