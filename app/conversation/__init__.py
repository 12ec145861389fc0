"""The open conversation on screen: the transcript, its Markdown and drafted-token
rendering, the sidebar's list, the header, the middle column, and export."""
