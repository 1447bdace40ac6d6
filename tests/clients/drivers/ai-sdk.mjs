// The Vercel AI SDK MCP client (@ai-sdk/mcp): tools come back as AI SDK tools and are run
// through their execute(), as generateText would; the model sees toModelOutput's result.
// 2026-07-28 through protocol discovery (its default), 2025-11-25 with discovery off.
import { createMCPClient } from "@ai-sdk/mcp";
import { Experimental_StdioMCPTransport } from "@ai-sdk/mcp/mcp-stdio";
import { run } from "./common.mjs";

await run(async (group, plan) => {
  const transport = group.url
    ? { type: "http", url: group.url }
    : new Experimental_StdioMCPTransport({ command: group.command, args: group.args, env: group.env });
  const client = await createMCPClient({
    transport,
    name: "twilio-memory-mcp-tests",
    protocolVersionDiscovery: plan.version === "2026-07-28",
  });
  const tools = await client.tools();
  const listed = await client.listTools();
  return {
    tools: async () => listed.tools,
    version: async () => client.protocolVersion,
    call: async (name, args) => {
      const output = await tools[name].execute(args, { toolCallId: "call-1", messages: [] });
      const seen = tools[name].toModelOutput ? await tools[name].toModelOutput({ toolCallId: "call-1", input: args, output }) : null;
      return { ...output, modelOutput: seen };
    },
    close: () => client.close(),
  };
});
