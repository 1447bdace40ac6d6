"""Helpers shared by the tests, one copy of each (fixtures stay in the conftest.py files).

- ``console``: the repository root, the console script, gunicorn, the stdio tee; a clean environment.
- ``ports``: free loopback ports, a refusing port, a bound socket.
- ``processes``: the console script as a child process, over stdio or HTTP (or gunicorn).
- ``cli``: ``server.cli.main(argv)`` in this process, for what is decided before serving.
- ``shared``: expensive setup done once per run, whatever the number of xdist workers.
- ``in_process``: the HTTP app, or any ASGI app, under uvicorn in this process.
- ``raw_client``: a raw JSON-RPC client of any protocol version, over stdio or HTTP.
- ``doubles``: sample ids, settings, a fake clock, a routed MockTransport.
- ``samples``: Memory API bodies (observations, summaries, recall, profiles).
- ``emulated``: the emulator as upstream, in process; every seeded value; every tool called.
- ``emulator_api``: the emulator's URLs and seed ids, and a validator of its answers against the spec.
- ``scripted_upstream``: the emulator on a thread, with a one-shot script of faults and answers.
- ``hostile_upstream``: a Memory API answering with hostile bytes.
- ``oauth``: a test identity provider and the MCP server with OAuth on.
- ``spec``: Twilio's OpenAPI document (vendored in spec/).
- ``published``: what the release artifacts must agree with.
- ``needs``: tools from outside Python (node, npm CLIs): skip saying why, or fail under CI.
- ``stdio_tee.py``: a script copying a child's stdout to a file (run, not imported).
"""
