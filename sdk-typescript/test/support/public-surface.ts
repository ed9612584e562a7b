// The package's public surface as the TypeScript compiler sees it: every name src/index.ts
// exports, each with the members it declares itself. Used to hold the surface to the shared
// names table (conformance/api-names.json).
//
// Members counted: a class's public static and instance properties, accessors and methods
// (not the constructor, `prototype`, private/protected or `#private` ones); an interface's or
// object type's properties and methods; the values of a union of string literals; the
// properties of an exported object constant. Only members a type declares itself in the
// package's own sources count: what a class inherits from `Error` or a base class, and its
// overrides or implementations of a base class's members, belong to the base. Well-known symbols read `[Symbol.name]`.

import { fileURLToPath } from "node:url";
import ts from "typescript";

export type PublicSurface = Map<string, Set<string>>;

const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));

function isOwnSource(declaration: ts.Declaration): boolean {
  const file = declaration.getSourceFile().fileName;
  return file.includes("/src/") && !file.includes("/node_modules/");
}

function isHidden(declaration: ts.Declaration): boolean {
  const flags = ts.getCombinedModifierFlags(declaration);
  if ((flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Override)) !== 0) {
    return true;
  }
  const name = ts.getNameOfDeclaration(declaration);
  return name !== undefined && ts.isPrivateIdentifier(name);
}

function memberName(symbol: ts.Symbol): string {
  const declaration = symbol.declarations?.[0];
  const name = declaration === undefined ? undefined : ts.getNameOfDeclaration(declaration);
  if (name !== undefined && ts.isComputedPropertyName(name)) {
    // The package names Symbol.asyncDispose through a polyfilled constant; say which symbol it is.
    const text = name.expression.getText();
    return text === "asyncDispose" ? "[Symbol.asyncDispose]" : `[${text}]`;
  }
  return symbol.getName();
}

function ownMembers(symbols: readonly ts.Symbol[], owner: ts.Declaration | undefined): string[] {
  const names: string[] = [];
  for (const symbol of symbols) {
    const declarations = symbol.declarations ?? [];
    if (declarations.length === 0 || !declarations.every(isOwnSource) || declarations.some(isHidden)) {
      continue;
    }
    if (owner !== undefined && !declarations.some((d) => d.parent === owner)) {
      continue;
    }
    if (declarations.some((d) => ts.isConstructorDeclaration(d)) || symbol.getName() === "prototype") {
      continue;
    }
    names.push(memberName(symbol));
  }
  return names;
}

function membersOf(checker: ts.TypeChecker, symbol: ts.Symbol): string[] {
  const declaration = symbol.declarations?.[0];
  if (declaration === undefined) {
    return [];
  }
  if (ts.isClassDeclaration(declaration)) {
    const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
    const inherited = new Set(
      (instanceType.isClassOrInterface() ? checker.getBaseTypes(instanceType) : []).flatMap((base) =>
        base.getProperties().map((p) => p.getName()),
      ),
    );
    const instance = instanceType.getProperties().filter((p) => !inherited.has(p.getName()));
    const statics = checker.getTypeOfSymbolAtLocation(symbol, declaration).getProperties();
    return ownMembers([...instance, ...statics], declaration);
  }
  if (ts.isInterfaceDeclaration(declaration)) {
    return ownMembers(checker.getDeclaredTypeOfSymbol(symbol).getProperties(), declaration);
  }
  if (ts.isTypeAliasDeclaration(declaration)) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    if (type.isUnion() && type.types.every((t) => t.isStringLiteral())) {
      return type.types.map((t) => (t as ts.StringLiteralType).value);
    }
    if (ts.isTypeLiteralNode(declaration.type)) {
      return ownMembers(type.getProperties(), declaration.type);
    }
    return [];
  }
  if (ts.isVariableDeclaration(declaration)) {
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    return type.getCallSignatures().length > 0 ? [] : ownMembers(type.getProperties(), undefined);
  }
  return [];
}

/** Every name src/index.ts exports, mapped to the members it declares. */
export function readPublicSurface(): PublicSurface {
  const options = ts.readConfigFile(`${PACKAGE_ROOT}/tsconfig.json`, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(options.config, ts.sys, PACKAGE_ROOT);
  const index = `${PACKAGE_ROOT}/src/index.ts`;
  const program = ts.createProgram([index], { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  const surface: PublicSurface = new Map();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    surface.set(exported.getName(), new Set(membersOf(checker, target)));
  }
  return surface;
}
