// The API reference (typedoc, `npm run docs`) is generated from doc comments: every public option
// must say its default, and every environment variable the SDK reads must be named by an option.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const ENTRY_POINTS = ['src/index.ts', 'src/vectors.ts', 'src/testing.ts', 'src/msw.ts', 'src/pgvector.ts'].map((file) => root + file);

const program = ts.createProgram(ENTRY_POINTS, { strict: true, target: ts.ScriptTarget.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler, module: ts.ModuleKind.ESNext, types: ['node'] });
const checker = program.getTypeChecker();

/** Each exported `...Options` interface of the entry points, with each property's doc comment. */
function publicOptions(): Map<string, Map<string, string>> {
  const found = new Map<string, Map<string, string>>();
  for (const file of ENTRY_POINTS) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & ts.SymbolFlags.Interface) || !symbol.name.endsWith('Options')) continue;
      const properties = new Map<string, string>();
      for (const property of checker.getDeclaredTypeOfSymbol(symbol).getProperties()) {
        properties.set(property.name, ts.displayPartsToString(property.getDocumentationComment(checker)));
      }
      found.set(symbol.name, properties);
    }
  }
  return found;
}

const options = publicOptions();

describe('option documentation', () => {
  it('finds the option interfaces of every entry point', () => {
    expect([...options.keys()].sort()).toEqual([
      'BackoffOptions',
      'BatchJobOptions',
      'BatchOptions',
      'ClassifyOptions',
      'ClipClientOptions',
      'ClipHandlersOptions',
      'EmbeddingIndexOptions',
      'HnswOptions',
      'MockOptions',
      'MockPngOptions',
      'MockServerOptions',
      'PgVectorStoreOptions',
      'RequestOptions',
      'SaveOptions',
      'StoreSearchOptions',
      'StreamJobOptions',
    ]);
  });

  it.each([...options.keys()])('documents the default of every property of %s', (name) => {
    const undocumented = [...options.get(name)!].filter(([, doc]) => !/\bDefault(s)?\b|\(the default\)/i.test(doc)).map(([property]) => property);
    expect(undocumented).toEqual([]);
  });

  it('names each environment variable the client reads in the option it sets', () => {
    const source = readFileSync(root + 'src/client/options.ts', 'utf8');
    const variables = [...new Set([...source.matchAll(/env\.(ROBOFLOW_[A-Z_]+)/g)].map((m) => m[1]!))];
    expect(variables.length).toBeGreaterThan(0);
    const clientDocs = [...options.get('ClipClientOptions')!.values()].join('\n');
    expect(variables.filter((variable) => !clientDocs.includes(`process.env.${variable}`))).toEqual([]);
  });
});
