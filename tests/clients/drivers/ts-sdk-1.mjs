// @modelcontextprotocol/sdk 1.x Client, the client desktop hosts embed. It always offers
// 2025-11-25 (LATEST_PROTOCOL_VERSION; no option to offer another) and checks each result's
// structuredContent against the tool's outputSchema, error results included.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { run } from "./common.mjs";

await run(async (group) => {
  let negotiated = null;
  const transport = group.url
    ? new StreamableHTTPClientTransport(new URL(group.url))
    : new StdioClientTransport({ command: group.command, args: group.args, env: group.env, stderr: "inherit" });
  if (!group.url) transport.setProtocolVersion = (version) => { negotiated = version; };
  const client = new Client({ name: "twilio-memory-mcp-tests", version: "1.0.0" });
  await client.connect(transport);
  return {
    tools: async () => (await client.listTools()).tools,  // also primes the output validators
    version: async () => negotiated ?? transport.protocolVersion,
    call: (name, args) => client.callTool({ name, arguments: args }),
    close: () => client.close(),
  };
});
