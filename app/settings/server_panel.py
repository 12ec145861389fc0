"""Model > Local API server: a switch that serves the loaded model to other programs through
the OpenAI chat API (aded_engine/server/), its address, and a log of the requests with their
speed and measured speedup.

The server answers from the window's own session: it takes turns with the window's replies
through the engine worker's SessionHost, so the two never decode at once and neither
disturbs the other's conversation (see aded_engine/server/host.py).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QFormLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QSpinBox, QVBoxLayout)

from ..engine.worker import EngineClient
from .settings import AppSettings, save_settings

LOG_LINES = 500  # the log keeps the newest requests


class ServerController(QObject):
    """Starts and stops the API server on the engine's session.

    Signals:
        stateChanged(bool, str): running or not, and the address or why it is not running.
        requested(object): a RequestRecord of a request the server answered or refused
            (emitted on the server's thread, delivered queued on this one).
    """

    stateChanged = Signal(bool, str)
    requested = Signal(object)

    def __init__(self, client: EngineClient, parent: QObject | None = None):
        super().__init__(parent)
        self.client = client
        self.server = None

    @property
    def running(self) -> bool:
        return self.server is not None

    def start(self, host: str, port: int, api_key: str | None) -> bool:
        # imported on first use: the web stack stays out of the window's start-up
        from aded_engine.server.api import ServerConfig
        from aded_engine.server.serve import ApiServer
        if self.server is not None:
            return True
        try:
            server = ApiServer(self.client.worker.host,
                               ServerConfig(host, port, api_key or None), self.requested.emit)
            server.start()
        except (OSError, ValueError, RuntimeError) as exc:
            self.stateChanged.emit(False, f"Not running: {exc}")
            return False
        self.server = server
        self.stateChanged.emit(True, server.address)
        return True

    def stop(self) -> None:
        """Stop the server; a request it is answering stops at its next step."""
        if self.server is not None:
            self.server.stop()
            self.server = None
            self.stateChanged.emit(False, "Not running")


class ServerPanel(QDialog):
    """The switch, where to listen, the state and the request log (a tool window)."""

    def __init__(self, client: EngineClient, settings: AppSettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Local API server")
        self.resize(620, 420)
        self.client = client
        self.settings = settings
        self.controller = ServerController(client, self)
        self.switch = QCheckBox("Serve the loaded model")
        self.switch.toggled.connect(self.on_switch)
        self.host = QLineEdit(settings.server_host)
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setValue(settings.server_port)
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.Password)
        self.api_key.setPlaceholderText("required for any address but 127.0.0.1")
        self.state = QLabel("Not running")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextSelectableByMouse)  # copy the address
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setPlaceholderText("Requests appear here: tokens, tokens/s, measured speedup.")
        form = QFormLayout()
        form.addRow("Address:", self.host)
        form.addRow("Port:", self.port)
        form.addRow("API key:", self.api_key)
        layout = QVBoxLayout(self)
        layout.addWidget(self.switch)
        layout.addLayout(form)
        layout.addWidget(self.state)
        layout.addWidget(self.log, 1)
        self.controller.stateChanged.connect(self.on_state)
        self.controller.requested.connect(self.on_request)
        client.worker.loaded.connect(self.on_loaded)
        self.switch.setEnabled(client.info is not None)
        if client.info is None:
            self.state.setText("Not running: load a model first")

    def on_loaded(self, _info: dict) -> None:
        """A model is loaded (the server, if running, now serves this one)."""
        self.switch.setEnabled(True)
        server = self.controller.server
        self.on_state(server is not None, server.address if server else "Not running")

    def on_switch(self, on: bool) -> None:
        if on:
            host, port = self.host.text().strip(), self.port.value()
            if self.controller.start(host, port, self.api_key.text().strip()):
                self.settings.server_host, self.settings.server_port = host, port
                save_settings(self.settings)
        else:
            self.controller.stop()

    def on_state(self, running: bool, text: str) -> None:
        model = (self.client.info or {}).get("model", "")
        self.state.setText(f"Running at {text} — {model}" if running else text)
        for field in (self.host, self.port, self.api_key):
            field.setEnabled(not running)
        self.switch.blockSignals(True)
        self.switch.setChecked(running)
        self.switch.blockSignals(False)

    def on_request(self, record) -> None:
        self.log.appendPlainText(record.line())

    def shutdown(self) -> None:
        self.controller.stop()
