// What the host page imports: the official MCP Apps host side (@modelcontextprotocol/ext-apps),
// bundled into one file for the browser by the test (esbuild).
export {
  AppBridge,
  PostMessageTransport,
  buildAllowAttribute,
  getToolUiResourceUri,
} from "@modelcontextprotocol/ext-apps/app-bridge";
