// The write toolset through the TypeScript SDKs with an elicitation handler (issue 19).
//
//   node writes.mjs <ts-sdk-1|ts-client-2> <plan.json>
//
// The plan (tests/clients/test_write_clients.py) lists sessions: how to start the server
// (stdio), the protocol version, whether the client declares form elicitation, and cases.
// Before each case the emulator's write faults are set through its admin endpoint; the
// handler answers each form as the case says and keeps the message it was shown. Output:
// one JSON document, {sessions: [{name, version, cases: [{id, result | error, asked}]}]}.
import fs from "node:fs";

const [sdk, planPath] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planPath, "utf8"));

async function setFaults(faults) {
  const response = await fetch(plan.admin.url, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: plan.admin.authorization },
    body: JSON.stringify(faults ?? {}),
  });
  if (response.status !== 200) throw new Error(`emulator admin answered ${response.status}`);
}

function answerFor(answer) {
  if (answer === "accept") return { action: "accept", content: { confirm: true } };
  return { action: answer ?? "cancel" };
}

async function connect(session, state) {
  const capabilities = session.elicitation ? { elicitation: { form: {} } } : {};
  const handler = async (request) => {
    state.asked.push(request.params.message);
    return answerFor(state.answer);
  };
  const info = { name: "twilio-memory-mcp-write-tests", version: "1.0.0" };
  if (sdk === "ts-sdk-1") {
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
    const { ElicitRequestSchema } = await import("@modelcontextprotocol/sdk/types.js");
    const client = new Client(info, { capabilities });
    if (session.elicitation) client.setRequestHandler(ElicitRequestSchema, handler);
    let negotiated = null;
    const transport = new StdioClientTransport({ ...session.server, stderr: "inherit" });
    transport.setProtocolVersion = (version) => { negotiated = version; };
    await client.connect(transport);
    return { client, version: () => negotiated };
  }
  const { Client } = await import("@modelcontextprotocol/client");
  const { StdioClientTransport } = await import("@modelcontextprotocol/client/stdio");
  const era = session.version === "2026-07-28"
    ? { versionNegotiation: { mode: { pin: "2026-07-28" } } }
    : { supportedProtocolVersions: [session.version] };
  const client = new Client(info, { capabilities, ...era });
  if (session.elicitation) client.setRequestHandler("elicitation/create", handler);
  await client.connect(new StdioClientTransport({ ...session.server, stderr: "inherit" }));
  return { client, version: () => client.getNegotiatedProtocolVersion() };
}

const sessions = [];
for (const session of plan.sessions) {
  const state = { asked: [], answer: null };
  const outcome = { name: session.name, version: null, cases: [], connectError: null };
  sessions.push(outcome);
  let connected;
  try {
    connected = await connect(session, state);
    outcome.version = connected.version();
  } catch (error) {
    outcome.connectError = String(error?.stack ?? error).split("\n").slice(0, 3).join(" | ");
    continue;
  }
  for (const c of session.cases) {
    await setFaults(c.faults);
    state.asked = [];
    state.answer = c.answer;
    try {
      const result = await connected.client.callTool({ name: c.tool, arguments: c.arguments });
      outcome.cases.push({ id: c.id, result, asked: state.asked });
    } catch (error) {
      outcome.cases.push({ id: c.id, error: String(error?.stack ?? error).split("\n").slice(0, 3).join(" | "), asked: state.asked });
    }
  }
  await setFaults({});
  await connected.client.close();
}
process.stdout.write(JSON.stringify({ sessions }) + "\n");
