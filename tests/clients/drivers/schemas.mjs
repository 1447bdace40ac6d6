// Checks every listed tool's schemas the way JavaScript clients read them: the TypeScript
// SDKs' tool-list parsers (zod), the Ajv validators they build (TS SDK 1.x and 2.x, as they
// configure Ajv), and Ajv in full strict mode (draft-07 and 2020-12). Input (argv[2]):
// {tools: [...tools/list...], samples: {tool: [{content, valid}]}}. Output: a list of problems.
import fs from "node:fs";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { ListToolsResultSchema as Sdk1ListTools } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator as Sdk1Validator } from "@modelcontextprotocol/sdk/validation/ajv";
import { ListToolsResultSchema as Core2ListTools } from "@modelcontextprotocol/core";
import { AjvJsonSchemaValidator as Client2Validator } from "@modelcontextprotocol/client/validators/ajv";

const { tools, samples } = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const problems = [];

for (const [name, schema] of [["ts-sdk-1 ListToolsResultSchema", Sdk1ListTools], ["core-2 ListToolsResultSchema", Core2ListTools]]) {
  const parsed = schema.safeParse({ tools });
  if (!parsed.success) problems.push(`${name}: ${JSON.stringify(parsed.error.issues).slice(0, 400)}`);
}

const strict = { strict: true, strictTypes: true, strictTuples: true, strictRequired: true, allErrors: true };
const withFormats = (ajv) => { (addFormats.default ?? addFormats)(ajv); return ajv; };
const validators = {
  "ts-sdk-1 Ajv (as it configures it)": () => { const v = new Sdk1Validator(); return (s) => v.getValidator(s); },
  "ts-client-2 Ajv (as it configures it)": () => { const v = new Client2Validator(); return (s) => v.getValidator(s); },
  "Ajv draft-07, strict": () => { const a = withFormats(new (Ajv.default ?? Ajv)(strict)); return wrap(a); },
  "Ajv 2020-12, strict": () => { const a = withFormats(new (Ajv2020.default ?? Ajv2020)(strict)); return wrap(a); },
};
function wrap(ajv) {
  return (schema) => { const check = ajv.compile(schema); return (data) => ({ valid: check(data), errorMessage: ajv.errorsText(check.errors) }); };
}

for (const [label, make] of Object.entries(validators)) {
  for (const tool of tools) {
    for (const kind of ["inputSchema", "outputSchema"]) {
      if (!tool[kind]) continue;
      let validate;
      try {
        validate = make()(tool[kind]);
      } catch (error) {
        problems.push(`${label}: ${tool.name}.${kind} does not compile: ${error.message}`);
        continue;
      }
      if (kind !== "outputSchema") continue;
      for (const sample of samples[tool.name] ?? []) {
        const verdict = validate(sample.content);
        if (verdict.valid !== sample.valid) {
          problems.push(`${label}: ${tool.name} ${sample.label}: valid=${verdict.valid}, expected ${sample.valid} (${verdict.errorMessage})`);
        }
      }
    }
  }
}
process.stdout.write(JSON.stringify({ problems, checked: Object.keys(validators).length * tools.length }) + "\n");
