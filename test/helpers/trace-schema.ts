import { readFileSync } from "node:fs";
import { Ajv } from "ajv";

const schema = JSON.parse(readFileSync(new URL("../../docs/trace.schema.json", import.meta.url), "utf8")) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

/** Every line of a JSON Lines trace that docs/trace.schema.json rejects, with ajv's reasons ("" when all pass). */
export function schemaProblems(text: string): string {
  const problems: string[] = [];
  text
    .split("\n")
    .filter((line) => line !== "")
    .forEach((line, i) => {
      if (!validate(JSON.parse(line))) problems.push(`line ${i + 1}: ${line.slice(0, 120)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    });
  return problems.slice(0, 5).join("\n");
}
