// Compile-time check, run by `npm run typecheck`: every generated message interface has exactly
// the shape the generated field definitions give it (property names, optionality and types).
// The generator writes the two separately, so this keeps the documented types from drifting from
// the tables the codec runs on, which the golden test pins to the protocol registry.

import type { OpDefinitions, RecordDefinitions } from "../../src/wire/generated/definitions.js";
import type { EnumName, EnumValue } from "../../src/wire/generated/enums.js";
import type { MessageOf, RecordTypes } from "../../src/wire/generated/messages.js";
import type { OpName } from "../../src/wire/generated/opcodes.js";
import type { RecordName } from "../../src/wire/schema.js";

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

// A generated field definition reads "name: type", or "name?: type" when the field is optional.
type IsOptional<F extends string> = F extends `${string}?: ${string}` ? true : false;
type NameOf<F extends string> = F extends `${infer Name}?: ${string}` ? Name : F extends `${infer Name}: ${string}` ? Name : never;
type TypeOf<F extends string> = F extends `${string}: ${infer T}` ? T : never;

type ValueOf<T extends string> = T extends "u8" | "u16" | "u32"
  ? number
  : T extends "u64"
    ? bigint
    : T extends "bool"
      ? boolean
      : T extends "str"
        ? string
        : T extends "bin"
          ? Uint8Array
          : T extends "strmap"
            ? Map<string, string>
            : T extends `enum:${infer E extends EnumName}`
              ? EnumValue<E>
              : T extends `record:${infer R extends RecordName}`
                ? Described<RecordDefinitions[R]>
                : T extends `list:${infer Element}`
                  ? ValueOf<Element>[]
                  : never;

type Described<Fields extends readonly string[]> = Simplify<
  { [F in Fields[number] as IsOptional<F> extends true ? never : CamelCase<NameOf<F>>]: ValueOf<TypeOf<F>> } & {
    [F in Fields[number] as IsOptional<F> extends true ? CamelCase<NameOf<F>> : never]?: ValueOf<TypeOf<F>>;
  }
>;

type DescribedOp<Op extends OpName> = Simplify<{ op: Op } & Described<OpDefinitions[Op]["fields"]>>;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type MismatchedOps = { [Op in OpName]: Equal<MessageOf<Op>, DescribedOp<Op>> extends true ? never : Op }[OpName];
type MismatchedRecords = {
  [R in RecordName]: Equal<RecordTypes[R], Described<RecordDefinitions[R]>> extends true ? never : R;
}[RecordName];

// Each assignment fails to compile, naming the culprit, if an interface differs from its schema.
export const everyOpMatchesItsSchema: [MismatchedOps] extends [never] ? true : MismatchedOps = true;
export const everyRecordMatchesItsSchema: [MismatchedRecords] extends [never] ? true : MismatchedRecords = true;
