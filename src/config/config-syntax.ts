// Reader for nats-server's configuration syntax (the language of its conf/lex.go and
// conf/parse.go), producing a tree of values that remember where they came from.
//
// The language, as nats-server accepts it:
//   * `key = value`, `key: value` or `key value`; entries end at a newline, `;` or `,`;
//     `#` and `//` start comments; the whole file may be wrapped in `{ }` (JSON style);
//   * maps `{ k: v, ... }` and arrays `[ v, ... ]`, nested freely;
//   * strings: "double quoted" (escapes \t \n \r \" \\ \xHH), 'single quoted' (verbatim),
//     bare words (up to a space, newline, `;`, `,`, `]` or `}`), and `(` ... `)` blocks
//     whose closing `)` stands alone on its line;
//   * integers with optional size suffix: k m g t p e are powers of 1000, kb/ki/kib,
//     mb/mi/mib, ... are powers of 1024 (case-insensitive); floats; true/false/yes/no/on/off;
//     Zulu datetimes (2024-01-02T03:04:05Z). Anything else that starts with a digit is a
//     string: "10s" is a string, while an unquoted "2m" is the integer 2000000;
//   * `$name` refers to a key defined earlier in the enclosing maps (innermost first),
//     then to the environment variable `name`, whose text is parsed as a value;
//   * `include path` splices in another file, relative to the including file's directory.
//
// nats-server's quirks are kept on purpose, so that a file means the same to both servers:
// an integer directly followed by `]` is read as a string ("[1, 2]" is an error there, too),
// and error columns count UTF-8 bytes from 0 on the first line but from 1 on later lines.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where a value was written, in nats-server's numbering (see the note on columns above). */
export interface SourcePosition {
  /** The file as it was named to the parser (or by an include); '' for parsed text. */
  file: string;
  line: number;
  col: number;
}

interface NodeOf<K extends string, V> {
  kind: K;
  value: V;
  /**
   * For a map entry this is the position of its key (nats-server reports problems there);
   * for an array element, the position of the element.
   */
  pos: SourcePosition;
  /** Set when a `$variable` referred to this entry; such entries are not unknown fields. */
  usedAsVariable: boolean;
}

export type ConfNode =
  | NodeOf<'string', string>
  | NodeOf<'int', number>
  | NodeOf<'float', number>
  | NodeOf<'bool', boolean>
  | NodeOf<'date', Date>
  | NodeOf<'map', ConfMap>
  | NodeOf<'array', ConfNode[]>;

export type ConfMap = Map<string, ConfNode>;

/** A configuration that cannot be read. The message is worded as nats-server words it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    /** Where the problem was found, when known. */
    readonly position?: SourcePosition,
  ) {
    super(message);
  }
}

/** Environment consulted for `$name` references that no enclosing map defines. */
export type ConfigEnvironment = Readonly<Record<string, string | undefined>>;

export interface ParseOptions {
  /** Name used in positions and as the base for relative includes ('' means the cwd). */
  file?: string;
  /** Defaults to process.env. */
  env?: ConfigEnvironment;
}

/** Parses configuration text. Throws ConfigError. */
export function parseConfigText(text: string, options: ParseOptions = {}): ConfMap {
  const file = options.file ?? '';
  const shared: SharedState = {
    env: options.env ?? process.env,
    envInProgress: new Set(),
    includeChain: file === '' ? [] : [resolve(file)],
  };
  return new ConfParser(text, file, shared).parseDocument();
}

/** Reads and parses a configuration file. Throws ConfigError. */
export function parseConfigFile(path: string, options: Omit<ParseOptions, 'file'> = {}): ConfMap {
  return parseConfigText(readConfigText(path), { ...options, file: path });
}

/** Plain JavaScript view of a parsed map (for tests and diagnostics). */
export function confToPlain(map: ConfMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of map) out[key] = nodeToPlain(node);
  return out;
}

function nodeToPlain(node: ConfNode): unknown {
  switch (node.kind) {
    case 'map':
      return confToPlain(node.value);
    case 'array':
      return node.value.map(nodeToPlain);
    default:
      return node.value;
  }
}

/** Go's type names, which nats-server's type-mismatch messages mention. */
export function goTypeName(node: ConfNode): string {
  switch (node.kind) {
    case 'string':
      return 'string';
    case 'int':
      return 'int64';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'date':
      return 'time.Time';
    case 'map':
      return 'map[string]interface {}';
    case 'array':
      return '[]interface {}';
  }
}

/** Reads a file, failing with Go's wording ("open x.conf: no such file or directory"). */
function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(goFileErrorText(path, err as NodeJS.ErrnoException));
  }
}

function goFileErrorText(path: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return `open ${path}: no such file or directory`;
    case 'EACCES':
      return `open ${path}: permission denied`;
    case 'ENOTDIR':
      return `open ${path}: not a directory`;
    case 'EISDIR':
      return `read ${path}: is a directory`;
    default:
      return `open ${path}: ${err.message}`;
  }
}

// ---------------------------------------------------------------------------------------

interface SharedState {
  env: ConfigEnvironment;
  /** Environment variables being expanded right now, to stop `A=$B`, `B=$A` loops. */
  envInProgress: Set<string>;
  /** Absolute paths of the files being included right now, to stop include loops. */
  includeChain: string[];
}

/** The place an entry or value sits in, which decides how it may end. */
type Context = 'top' | 'block' | 'map' | 'array';

/** What ended a value: a separator or line end ('next') or the enclosing bracket ('close'). */
type ValueEnd = 'next' | 'close';

const SIZE_MULTIPLIERS: ReadonlyMap<string, bigint> = new Map([
  ['', 1n],
  ['k', 1000n],
  ['kb', 1024n], ['ki', 1024n], ['kib', 1024n],
  ['m', 1000n ** 2n],
  ['mb', 1024n ** 2n], ['mi', 1024n ** 2n], ['mib', 1024n ** 2n],
  ['g', 1000n ** 3n],
  ['gb', 1024n ** 3n], ['gi', 1024n ** 3n], ['gib', 1024n ** 3n],
  ['t', 1000n ** 4n],
  ['tb', 1024n ** 4n], ['ti', 1024n ** 4n], ['tib', 1024n ** 4n],
  ['p', 1000n ** 5n],
  ['pb', 1024n ** 5n], ['pi', 1024n ** 5n], ['pib', 1024n ** 5n],
  ['e', 1000n ** 6n],
  ['eb', 1024n ** 6n], ['ei', 1024n ** 6n], ['eib', 1024n ** 6n],
]);

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true], ['yes', true], ['on', true],
  ['false', false], ['no', false], ['off', false],
]);

/** Variable names with this prefix are bcrypt hashes written without quotes ($2a$...). */
const BCRYPT_PREFIX = '2a$';

const DATE_SHAPE = '00-00T00:00:00Z'; // what follows "YYYY-"; '0' stands for a digit

class ConfParser {
  private i = 0;
  /** Maps under construction, outermost first: the scopes `$name` looks in. */
  private readonly scopes: ConfMap[] = [];
  /** Offsets of every '\n', for turning offsets into line numbers. */
  private readonly newlines: number[] = [];
  private readonly baseDir: string;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly shared: SharedState,
  ) {
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) this.newlines.push(at);
    this.baseDir = dirname(file);
  }

  parseDocument(): ConfMap {
    const root: ConfMap = new Map();
    this.scopes.push(root);
    let blockDepth = 0; // JSON-style braces around the whole file
    for (;;) {
      this.skipSpaceAndComments(true);
      const ch = this.text[this.i];
      if (ch === undefined) break;
      if (ch === '{') {
        this.i++;
        blockDepth++;
        continue;
      }
      if (ch === '}' && blockDepth > 0) {
        this.i++;
        blockDepth--;
        continue;
      }
      const context: Context = blockDepth > 0 ? 'block' : 'top';
      if (this.parseEntry(context, root) === 'eof') break;
      if (this.finishValue(context) === 'close') blockDepth--;
    }
    return root;
  }

  // --- entries ---------------------------------------------------------------------------

  /** Reads `key [=|:] value` (or an include) into `target`. */
  private parseEntry(context: Context, target: ConfMap): 'done' | 'eof' {
    const key = this.readKey(context);
    if (key.isInclude) {
      this.parseInclude(target);
      return 'done';
    }

    this.skipUnicodeSpace();
    if (this.i >= this.text.length) {
      if (context === 'map') throw this.syntaxError(mapValueEndProblem(undefined));
      // A lone '}' at the top is tolerated so that JSON-like files may end with one.
      if (key.name === '}') return 'eof';
      const at = this.positionAt(this.i);
      throw new ConfigError(`config is invalid (${this.file}:${at.line}:${at.col})`, at);
    }
    const ch = this.text[this.i];
    if (ch === '=' || ch === ':') this.i++;
    if (context === 'map') {
      this.skipUnicodeSpace();
      const next = this.text[this.i];
      if (next === ',') throw this.syntaxError('Unexpected map value terminator ",".');
      if (next === '}') throw this.syntaxError(`Missing value for key "${key.name}".`);
    }

    const node = this.parseValue();
    node.pos = key.pos;
    target.set(key.name, node);
    return 'done';
  }

  private readKey(context: Context): { name: string; pos: SourcePosition; isInclude: boolean } {
    const inMap = context === 'map';
    const ch = this.text[this.i];
    if (ch === '=' || ch === ':') {
      this.i++;
      throw this.syntaxError(`Unexpected key separator '${ch}'${inMap ? '.' : ''}`);
    }
    if (inMap && ch === ']') {
      this.i++;
      throw this.syntaxError("Unexpected array end ']' processing map.");
    }
    if (inMap && ch === undefined) throw this.syntaxError('Unexpected EOF processing map.');

    if (ch === '"' || ch === "'") {
      const start = this.i + 1;
      const end = this.text.indexOf(ch, start);
      if (end < 0) {
        this.i = this.text.length;
        if (!inMap) throw this.syntaxError('Unexpected EOF.');
        throw this.syntaxError(
          ch === '"' ? 'Unexpected EOF processing double quoted map key.' : 'Unexpected EOF processing quoted map key.',
        );
      }
      this.i = end + 1;
      return { name: this.text.slice(start, end), pos: this.positionAt(start), isInclude: false };
    }

    const start = this.i;
    this.i++; // the first character belongs to the key whatever it is
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) {
        if (inMap) throw this.syntaxError('Unexpected EOF processing map key.');
        break;
      }
      if (c === '=' || c === ':') break;
      if (isUnicodeSpace(c)) {
        const name = this.text.slice(start, this.i);
        // `include` is only a keyword when a space follows it.
        return { name, pos: this.positionAt(start), isInclude: name.toLowerCase() === 'include' };
      }
      this.i++;
    }
    return { name: this.text.slice(start, this.i), pos: this.positionAt(start), isInclude: false };
  }

  /**
   * Consumes what may follow a value in `context`: blanks, a comment, then a newline or
   * separator, or the closing bracket of the context.
   */
  private finishValue(context: Context): ValueEnd {
    for (;;) {
      const ch = this.text[this.i];
      if (ch === ' ' || ch === '\t') {
        this.i++;
        continue;
      }
      if (ch === '#' || (ch === '/' && this.text[this.i + 1] === '/')) {
        this.skipComment();
        if (context === 'top') return 'next';
        continue; // the newline after the comment ends the value
      }
      if (ch === '/') {
        // A lone slash: nats-server skips it at the top and treats it as a separator inside brackets.
        this.i++;
        if (context === 'top' || context === 'block') continue;
        return 'next';
      }
      switch (context) {
        case 'top':
          if (ch === undefined) return 'next';
          if (isNewline(ch) || ch === ';' || ch === ',' || ch === '}') {
            this.i++;
            return 'next';
          }
          this.i++;
          throw this.syntaxError(
            `Expected a top-level value to end with a new line, comment or EOF, but got '${describeChar(ch)}' instead.`,
          );
        case 'block':
          if (ch !== undefined && (isNewline(ch) || ch === ';' || ch === ',')) {
            this.i++;
            return 'next';
          }
          if (ch === '}') {
            this.i++;
            return 'close';
          }
          if (ch !== undefined) this.i++;
          throw this.syntaxError(
            `Expected a block-level value to end with a new line, comment or EOF, but got '${describeChar(ch)}' instead.`,
          );
        case 'map':
          if (ch !== undefined && (isNewline(ch) || ch === ';' || ch === ',')) {
            this.i++;
            return 'next';
          }
          if (ch === '}') {
            this.i++;
            return 'close';
          }
          if (ch !== undefined) this.i++;
          throw this.syntaxError(mapValueEndProblem(ch));
        case 'array':
          if (ch !== undefined && (isNewline(ch) || ch === ',')) {
            this.i++;
            return 'next';
          }
          if (ch === ']') {
            this.i++;
            return 'close';
          }
          if (ch !== undefined) this.i++;
          throw this.syntaxError(
            `Expected an array value terminator "," or an array terminator "]", but got '${describeChar(ch)}' instead.`,
          );
      }
    }
  }

  // --- values ------------------------------------------------------------------------------

  private parseValue(): ConfNode {
    while (this.text[this.i] === ' ' || this.text[this.i] === '\t') this.i++;
    const start = this.i;
    const ch = this.text[start];
    if (ch === undefined) return this.node('string', '', start);
    switch (ch) {
      case '[':
        this.i++;
        return this.parseArrayBody();
      case '{':
        this.i++;
        return this.parseMapBody();
      case "'":
        return this.readSingleQuoted();
      case '"':
        return this.readDoubleQuoted();
      case '-':
        return this.readNegativeNumber();
      case '(':
        return this.readBlockString();
      case '.':
        this.i++;
        throw this.syntaxError('Floats must start with a digit');
    }
    if (isNewline(ch)) {
      this.i++;
      throw this.syntaxError('Expected value but found new line');
    }
    if (isDigit(ch)) return this.readNumberLike();
    return this.readBareWord(start);
  }

  private parseMapBody(): ConfNode {
    const map: ConfMap = new Map();
    this.scopes.push(map);
    for (;;) {
      const ch = this.text[this.i];
      if (ch !== undefined && isUnicodeSpace(ch)) {
        this.i++;
        continue;
      }
      if (ch === '}') {
        this.i++;
        break;
      }
      if (ch === '#' || (ch === '/' && this.text[this.i + 1] === '/')) {
        this.skipComment();
        continue;
      }
      if (ch === '/') {
        this.i++; // nats-server drops a lone slash before a map key
        continue;
      }
      this.parseEntry('map', map);
      if (this.finishValue('map') === 'close') break;
    }
    this.scopes.pop();
    // nats-server places a map that is an array element just past its closing brace.
    return this.node('map', map, this.i);
  }

  private parseArrayBody(): ConfNode {
    const items: ConfNode[] = [];
    for (;;) {
      const ch = this.text[this.i];
      if (ch !== undefined && isUnicodeSpace(ch)) {
        this.i++;
        continue;
      }
      if (ch === '#' || (ch === '/' && this.text[this.i + 1] === '/')) {
        this.skipComment();
        continue;
      }
      if (ch === ',' || ch === '/') {
        this.i++;
        throw this.syntaxError("Unexpected array value terminator ','.");
      }
      if (ch === ']') {
        this.i++;
        break;
      }
      items.push(this.parseValue());
      if (this.finishValue('array') === 'close') break;
    }
    return this.node('array', items, this.i);
  }

  private readSingleQuoted(): ConfNode {
    const start = this.i + 1;
    const end = this.text.indexOf("'", start);
    if (end < 0) {
      this.i = this.text.length;
      throw this.syntaxError('Unexpected EOF.');
    }
    this.i = end + 1;
    return this.node('string', this.text.slice(start, end), start);
  }

  private readDoubleQuoted(): ConfNode {
    const start = this.i + 1;
    this.i = start;
    const text = new EscapedText();
    let segment = start;
    for (;;) {
      const ch = this.text[this.i];
      if (ch === undefined) throw this.syntaxError('Unexpected EOF.');
      if (ch === '"') break;
      if (ch === '\\') {
        text.addText(this.text.slice(segment, this.i));
        this.i++;
        this.readEscape(text);
        segment = this.i;
        continue;
      }
      this.i++;
    }
    text.addText(this.text.slice(segment, this.i));
    this.i++; // closing quote
    return this.node('string', text.toString(), start);
  }

  /**
   * A word without quotes, starting at `start` (which may lie before this.i when a
   * number turned out to be a word). Ends before a blank, newline, `;`, `,`, `]`, `}` or
   * the end, or at a `'`, which is consumed. Unescaped words may be booleans or `$name`.
   */
  private readBareWord(start: number): ConfNode {
    let escaped: EscapedText | undefined;
    let segment = start;
    let endedByQuote = false;
    for (;;) {
      const ch = this.text[this.i];
      if (ch === undefined || isNewline(ch) || ch === ';' || ch === ',' || ch === ']' || ch === '}' || ch === ' ' || ch === '\t') {
        break;
      }
      if (ch === "'") {
        endedByQuote = true;
        break;
      }
      if (ch === '\\') {
        escaped ??= new EscapedText();
        escaped.addText(this.text.slice(segment, this.i));
        this.i++;
        this.readEscape(escaped);
        segment = this.i;
        continue;
      }
      this.i++;
    }
    const tail = this.text.slice(segment, this.i);
    if (endedByQuote) this.i++;
    if (escaped !== undefined) {
      escaped.addText(tail);
      return this.node('string', escaped.toString(), start);
    }
    if (!endedByQuote) {
      const bool = BOOLEAN_WORDS.get(tail.toLowerCase());
      if (bool !== undefined) return this.node('bool', bool, start);
      if (tail.startsWith('$')) return this.resolveVariable(tail.slice(1), start + 1);
    }
    return this.node('string', tail, start);
  }

  /** Reads the character(s) after a backslash into `out`. */
  private readEscape(out: EscapedText): void {
    const ch = this.text[this.i];
    this.i++;
    switch (ch) {
      case 't':
        return out.addText('\t');
      case 'n':
        return out.addText('\n');
      case 'r':
        return out.addText('\r');
      case '"':
        return out.addText('"');
      case '\\':
        return out.addText('\\');
      case 'x': {
        // Like nats-server, show the two characters before the cursor when the text runs out.
        this.i = Math.min(this.i + 2, this.text.length);
        const hex = this.text.slice(this.i - 2, this.i);
        if (/[\r\n]/.test(hex)) {
          throw this.syntaxError("Expected two hexadecimal digits after '\\x', but hit end of line");
        }
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          throw this.syntaxError(`Expected two hexadecimal digits after '\\x', but got '${hex}'`);
        }
        return out.addByte(parseInt(hex, 16));
      }
    }
    throw this.syntaxError(
      `Invalid escape character '${describeChar(ch)}'. Only the following escape characters are allowed: ` +
        '\\xXX, \\t, \\n, \\r, \\", \\\\.',
    );
  }

  /** `(` ... `)`: everything up to a `)` that sits alone at the start of a line. */
  private readBlockString(): ConfNode {
    const start = this.i + 1;
    for (let at = start; at < this.text.length; at++) {
      const closesBlock =
        this.text[at] === ')' && this.text[at - 1] === '\n' && (at + 1 === this.text.length || this.text[at + 1] === '\n');
      if (closesBlock) {
        this.i = at + 1;
        // nats-server keeps the ')' in the text when it is the very last character.
        const end = this.i === this.text.length ? this.i : at;
        return this.node('string', this.text.slice(start, end), start);
      }
    }
    this.i = this.text.length;
    throw this.syntaxError('Unexpected EOF processing block.');
  }

  /** Something that starts with a digit: integer, float, datetime, IP address, or a word. */
  private readNumberLike(): ConfNode {
    const start = this.i;
    while (isDigit(this.text[this.i])) this.i++;
    const ch = this.text[this.i];
    if (ch === '-') {
      this.i++;
      if (this.i - start !== 5) throw this.syntaxError('All ISO8601 dates must be in full Zulu form.');
      return this.readDateAfterYear(start);
    }
    if (ch === '.') {
      this.i++;
      return this.readFractionOrAddress(start);
    }
    if (ch !== undefined && isSizeSuffix(ch)) {
      this.i++;
      return this.readSizedInteger(start);
    }
    if (ch === undefined || endsNumber(ch)) return this.integer(start);
    // Any other character makes it a word, and that character is taken as it is:
    // this is how "10s" becomes a string, and why "2]" swallows its bracket.
    this.i++;
    return this.readBareWord(start);
  }

  private readNegativeNumber(): ConfNode {
    const start = this.i;
    this.i++; // '-'
    const first = this.text[this.i];
    if (!isDigit(first)) {
      if (first !== undefined) this.i++;
      throw this.syntaxError(
        first === '.' ? "Floats must start with a digit, not '.'." : `Expected a digit but got '${describeChar(first)}'.`,
      );
    }
    while (isDigit(this.text[this.i])) this.i++;
    const ch = this.text[this.i];
    if (ch === '.') {
      this.i++;
      return this.readFractionOrAddress(start);
    }
    if (ch !== undefined && isSizeSuffix(ch)) {
      this.i++;
      return this.readSizedInteger(start);
    }
    return this.integer(start);
  }

  /** After "digits." : a float, or a dotted address such as 127.0.0.1:4222 (a string). */
  private readFractionOrAddress(start: number): ConfNode {
    const first = this.text[this.i];
    if (!isDigit(first)) {
      if (first !== undefined) this.i++;
      throw this.syntaxError(`Floats must have a digit after the '.', but got '${describeChar(first)}' instead.`);
    }
    while (isDigit(this.text[this.i])) this.i++;
    if (this.text[this.i] !== '.') {
      const literal = this.text.slice(start, this.i);
      const value = Number(literal);
      if (!Number.isFinite(value)) throw new ConfigError(`float '${literal}' is out of the range`, this.positionAt(start));
      return this.node('float', value, start);
    }
    while (/^[0-9.:-]$/.test(this.text[this.i] ?? '')) this.i++;
    return this.node('string', this.text.slice(start, this.i), start);
  }

  /** After digits and a size letter: more b/i letters, then it must end like a number. */
  private readSizedInteger(start: number): ConfNode {
    while (/^[bBiI]$/.test(this.text[this.i] ?? '')) this.i++;
    const ch = this.text[this.i];
    if (ch === undefined || endsNumber(ch) || isDigit(ch)) return this.integer(start);
    return this.readBareWord(start);
  }

  private integer(start: number): ConfNode {
    const literal = this.text.slice(start, this.i);
    const pos = this.positionAt(start);
    const digits = /^[0-9-]*/.exec(literal)?.[0] ?? '';
    const multiplier = SIZE_MULTIPLIERS.get(literal.slice(digits.length).trim().toLowerCase());
    if (!/^-?[0-9]+$/.test(digits) || multiplier === undefined) {
      throw new ConfigError(`expected integer, but got '${literal}'`, pos);
    }
    const parsed = BigInt(digits);
    if (parsed < -(2n ** 63n) || parsed >= 2n ** 63n) {
      throw new ConfigError(`integer '${literal}' is out of the range`, pos);
    }
    // Go multiplies in int64 and wraps silently; so do we ("8EB" is -9223372036854775808).
    return this.node('int', Number(BigInt.asIntN(64, parsed * multiplier)), start);
  }

  /** "YYYY-" has been read; the rest must be "MM-DDTHH:MM:SSZ". */
  private readDateAfterYear(start: number): ConfNode {
    for (const expected of DATE_SHAPE) {
      const ch = this.text[this.i];
      if (ch !== undefined) this.i++;
      if (expected === '0' && !isDigit(ch)) {
        throw this.syntaxError(`Expected digit in ISO8601 datetime, but found '${describeChar(ch)}' instead.`);
      }
      if (expected !== '0' && ch !== expected) {
        throw this.syntaxError(`Expected '${expected}' in ISO8601 datetime, but found '${describeChar(ch)}' instead.`);
      }
    }
    const literal = this.text.slice(start, this.i);
    const date = parseZuluDate(literal);
    if (date === undefined) {
      throw new ConfigError(`expected Zulu formatted DateTime, but got '${literal}'`, this.positionAt(start));
    }
    return this.node('date', date, start);
  }

  // --- variables and includes ------------------------------------------------------------------

  /** `$name` at `at` (the offset just after the '$'). */
  private resolveVariable(name: string, at: number): ConfNode {
    if (name.startsWith(BCRYPT_PREFIX)) return this.node('string', `$${name}`, at);
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      const found = this.scopes[s].get(name);
      if (found !== undefined) {
        found.usedAsVariable = true;
        return { ...found, pos: this.positionAt(at), usedAsVariable: false } as ConfNode;
      }
    }

    const line = this.positionAt(at).line;
    const fromEnv = this.readEnvironmentValue(name, line);
    if (fromEnv === undefined) {
      throw new ConfigError(`variable reference for '${name}' on line ${line} can not be found`, this.positionAt(at));
    }
    return relocate(fromEnv, this.positionAt(at));
  }

  /** The environment variable `name` parsed as a value, or undefined if it is not set. */
  private readEnvironmentValue(name: string, line: number): ConfNode | undefined {
    const fail = (problem: string): ConfigError =>
      new ConfigError(`variable reference for '${name}' on line ${line} could not be parsed: ${problem}`);
    if (this.shared.envInProgress.has(name)) throw fail(`variable reference cycle for '${name}'`);
    const raw = this.shared.env[name];
    if (raw === undefined) return undefined;

    this.shared.envInProgress.add(name);
    try {
      // The value is read as the right-hand side of an assignment, so "4222" is a number,
      // "true" a boolean and "$OTHER" another reference.
      const parsed = new ConfParser(`pk=${raw}`, '', this.shared).parseDocument();
      return parsed.get('pk');
    } catch (err) {
      throw fail((err as Error).message);
    } finally {
      this.shared.envInProgress.delete(name);
    }
  }

  /** `include` has been read: read the path and merge that file's entries into `target`. */
  private parseInclude(target: ConfMap): void {
    while (this.text[this.i] === ' ' || this.text[this.i] === '\t') this.i++;
    const includePath = this.readIncludePath();
    const path = join(this.baseDir, includePath);
    const fail = (problem: string, position?: SourcePosition): ConfigError =>
      new ConfigError(`error parsing include file '${includePath}', ${problem}`, position);

    const absolute = resolve(path);
    if (this.shared.includeChain.includes(absolute)) throw fail(`include cycle through ${path}`);
    let included: ConfMap;
    this.shared.includeChain.push(absolute);
    try {
      included = new ConfParser(readConfigText(path), path, this.shared).parseDocument();
    } catch (err) {
      const inner = err as ConfigError;
      throw fail(inner.message, inner.position);
    } finally {
      this.shared.includeChain.pop();
    }
    for (const [key, node] of included) target.set(key, node);
  }

  private readIncludePath(): string {
    const ch = this.text[this.i];
    if (ch === "'" || ch === '"') {
      const start = this.i + 1;
      const end = this.text.indexOf(ch, start);
      if (end < 0) {
        this.i = this.text.length;
        throw this.syntaxError(ch === '"' ? 'Unexpected EOF in double quoted include' : 'Unexpected EOF in quoted include');
      }
      this.i = end + 1;
      return this.text.slice(start, end);
    }
    const refusal =
      ch === '[' ? 'start of an array'
      : ch === '{' ? 'start of a map'
      : ch === '(' ? 'start of a block'
      : isDigit(ch) || ch === '-' ? 'start of a number'
      : ch === '\\' ? 'escape sequence'
      : ch !== undefined && isNewline(ch) ? 'new line'
      : undefined;
    if (refusal !== undefined) {
      this.i++;
      throw this.syntaxError(`Expected include value but found ${refusal}`);
    }
    const start = this.i;
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined || isNewline(c) || c === ';' || c === '}' || c === ' ' || c === '\t') {
        return this.text.slice(start, this.i);
      }
      if (c === "'") {
        this.i++;
        return this.text.slice(start, this.i - 1);
      }
      this.i++;
    }
  }

  // --- scanning helpers ------------------------------------------------------------------------

  /** Blanks (newlines included) and comments between top-level entries. */
  private skipSpaceAndComments(topLevel: boolean): void {
    for (;;) {
      const ch = this.text[this.i];
      if (ch === undefined) return;
      if (isUnicodeSpace(ch)) {
        this.i++;
      } else if (ch === '#' || (ch === '/' && this.text[this.i + 1] === '/')) {
        this.skipComment();
      } else if (ch === '/' && topLevel) {
        // nats-server's lexer takes a stray slash here for a truncated comment.
        this.i++;
        throw this.syntaxError('Unexpected EOF.');
      } else {
        return;
      }
    }
  }

  private skipUnicodeSpace(): void {
    while (this.i < this.text.length && isUnicodeSpace(this.text[this.i])) this.i++;
  }

  /** Skips a comment up to (not including) the end of its line. */
  private skipComment(): void {
    while (this.i < this.text.length && !isNewline(this.text[this.i])) this.i++;
  }

  private node<K extends ConfNode['kind']>(kind: K, value: Extract<ConfNode, { kind: K }>['value'], at: number): ConfNode {
    return { kind, value, pos: this.positionAt(at), usedAsVariable: false } as ConfNode;
  }

  /**
   * nats-server's position for an offset: the line number, and the UTF-8 byte distance
   * from the previous newline character (or from the start of the text on line 1).
   */
  private positionAt(offset: number): SourcePosition {
    let low = 0;
    let high = this.newlines.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.newlines[mid] < offset) low = mid + 1;
      else high = mid;
    }
    const lineStart = low === 0 ? 0 : this.newlines[low - 1];
    return { file: this.file, line: low + 1, col: Buffer.byteLength(this.text.slice(lineStart, offset)) };
  }

  private syntaxError(problem: string): ConfigError {
    const at = this.positionAt(this.i);
    return new ConfigError(`Parse error on line ${at.line}: '${problem}'`, at);
  }
}

/** Text assembled from pieces and raw bytes (from \xHH escapes), decoded as UTF-8 at the end. */
class EscapedText {
  private readonly chunks: Buffer[] = [];

  addText(text: string): void {
    if (text !== '') this.chunks.push(Buffer.from(text, 'utf8'));
  }

  addByte(byte: number): void {
    this.chunks.push(Buffer.from([byte]));
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** A copy of an environment-derived value, placed at the reference (recursively, since it has no file). */
function relocate(node: ConfNode, pos: SourcePosition): ConfNode {
  switch (node.kind) {
    case 'map': {
      const map: ConfMap = new Map();
      for (const [key, child] of node.value) map.set(key, relocate(child, pos));
      return { kind: 'map', value: map, pos, usedAsVariable: false };
    }
    case 'array':
      return { kind: 'array', value: node.value.map((child) => relocate(child, pos)), pos, usedAsVariable: false };
    default:
      return { ...node, pos, usedAsVariable: false };
  }
}

function parseZuluDate(literal: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(literal);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  const fits =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return fits ? date : undefined;
}

function mapValueEndProblem(ch: string | undefined): string {
  return `Expected a map value terminator "," or a map terminator "}", but got '${describeChar(ch)}' instead.`;
}

/** How nats-server's lexer prints an offending character; the end of input shows as NUL. */
function describeChar(ch: string | undefined): string {
  if (ch === undefined) return '\u0000';
  return ch === '\n' ? '\\n' : ch;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function isNewline(ch: string): boolean {
  return ch === '\n' || ch === '\r';
}

/** Characters that end a number: newline, blank, `;`, `,` or `}` (but not `]`). */
function endsNumber(ch: string): boolean {
  return isNewline(ch) || ch === ' ' || ch === '\t' || ch === ';' || ch === ',' || ch === '}';
}

function isSizeSuffix(ch: string): boolean {
  return 'kKmMgGtTpPeE'.includes(ch);
}

/** Go's unicode.IsSpace (JavaScript's \s differs: it includes U+FEFF and omits U+0085). */
function isUnicodeSpace(ch: string): boolean {
  switch (ch) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r': case '\u0085': case '\u00a0':
    case '\u1680': case '\u2028': case '\u2029': case '\u202f': case '\u205f': case '\u3000':
      return true;
  }
  return ch >= '\u2000' && ch <= '\u200a';
}
