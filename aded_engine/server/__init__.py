"""A local OpenAI-compatible server for the loaded model, decoding with ADED.

host.py (one session, a bounded line of jobs) -> completion.py (one reply, stop strings)
-> api.py (HTTP routes, SSE) -> serve.py (socket, uvicorn, the loopback rule).
"""
