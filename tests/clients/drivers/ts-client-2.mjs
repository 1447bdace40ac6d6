// @modelcontextprotocol/client 2.x. Handshake versions are offered through
// supportedProtocolVersions (its first legacy entry is what initialize offers); 2026-07-28
// is pinned through versionNegotiation.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { run } from "./common.mjs";

await run(async (group, plan) => {
  const transport = group.url
    ? new StreamableHTTPClientTransport(new URL(group.url))
    : new StdioClientTransport({ command: group.command, args: group.args, env: group.env, stderr: "inherit" });
  const options = plan.version === "2026-07-28"
    ? { versionNegotiation: { mode: { pin: "2026-07-28" } } }
    : { supportedProtocolVersions: [plan.version] };
  const client = new Client({ name: "twilio-memory-mcp-tests", version: "1.0.0" }, options);
  await client.connect(transport);
  return {
    tools: async () => (await client.listTools()).tools,
    version: async () => client.getNegotiatedProtocolVersion(),
    call: (name, args) => client.callTool({ name, arguments: args }),
    close: () => client.close(),
  };
});
