// The numbers a sentence of the docs states, written by `npm run schema` from the code (or a bench
// result) instead of checked against it word for word. A sentence marks its number:
//
//   messages of up to <!-- value CUSTOMERS_PER_MESSAGE -->25<!-- /value --> customers
//   ≤<!-- value MAX_PUT_EVENTS_BYTES in KiB -->256<!-- /value --> KiB a request
//   <!-- value MAX_EVENTS_PER_RESPONSE with commas -->20,000<!-- /value --> events
//   about $<!-- value scale.feed@5.dynamodbDollarsPerMonth rounded -->80<!-- /value --> a month
//
// and only what lies between the two comments is rewritten, so the sentence around it can be
// reworded freely. GitHub shows the number alone.

/** What a number counts, so the docs can state it in another unit (`in s`, `in KiB`...). */
export type Unit = 'ms' | 's' | 'bytes' | 'share';

/** A number the docs may state, by the name its marker gives. */
export interface StatedValue {
  readonly name: string;
  readonly value: number | string;
  /** What `value` counts; a marker may state it in another unit of the same kind. */
  readonly unit?: Unit;
}

/** How many of `unit` one of each unit a marker may ask for holds. */
const IN: Record<Unit, Record<string, number>> = {
  ms: { s: 1_000, minutes: 60_000 },
  s: { minutes: 60, hours: 3_600, days: 86_400 },
  bytes: { KB: 1_000, KiB: 1_024, MiB: 1_024 * 1_024 },
  share: { '%': 0.01 },
};

/** A marker; one right after a backtick is code quoting the syntax, and left alone. */
const MARKER =
  /(?<!`)<!-- value ([^\s>]+)(?: in ([^\s>]+))?( rounded)?( with commas)? -->(.*?)<!-- \/value -->/g;

/** How a marker asks for its number: in another unit, rounded to a whole number, grouped. */
interface Shown {
  readonly unit?: string | undefined;
  readonly rounded?: boolean;
  readonly commas?: boolean;
}

/** `value` as a marker asks for it. */
function renderValue(stated: StatedValue, shown: Shown = {}): string {
  const { name, value } = stated;
  const { unit, rounded = false, commas = false } = shown;
  if (typeof value === 'string') {
    if (unit !== undefined || rounded || commas) {
      throw new Error(`${name} is text: it takes no unit, rounding or commas`);
    }
    return value;
  }
  let number = value;
  if (unit !== undefined) {
    const per = stated.unit === undefined ? undefined : IN[stated.unit][unit];
    if (per === undefined) {
      throw new Error(`${name} (${stated.unit ?? 'a count'}) cannot be stated in ${unit}`);
    }
    number = value / per;
  }
  number = rounded ? Math.round(number) : Number(number.toFixed(3));
  return commas ? number.toLocaleString('en-US') : String(number);
}

/**
 * `text` with every marked number written from `values`. Throws on a marker whose name is not
 * among them, or one left open (a marker and its end must be on one line).
 */
export function fillValues(
  text: string,
  values: ReadonlyMap<string, StatedValue>,
  path = 'the text',
): string {
  let filled = 0;
  const result = text.replace(
    MARKER,
    (_whole, name: string, unit?: string, rounded?: string, commas?: string) => {
      const stated = values.get(name);
      if (stated === undefined) throw new Error(`${path} marks an unknown value ${name}`);
      filled++;
      const shown = renderValue(stated, {
        unit,
        rounded: rounded !== undefined,
        commas: commas !== undefined,
      });
      const how = `${unit ? ` in ${unit}` : ''}${rounded ?? ''}${commas ?? ''}`;
      return `<!-- value ${name}${how} -->${shown}<!-- /value -->`;
    },
  );
  const opened = text.match(/(?<!`)<!-- value /g)?.length ?? 0;
  if (opened !== filled) {
    throw new Error(
      `${path} has ${opened - filled} value marker(s) without a matching <!-- /value --> on their line`,
    );
  }
  return result;
}
