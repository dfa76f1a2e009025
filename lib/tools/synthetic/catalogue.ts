/**
 * The catalogue wording of retrieval texts: a shop's own names for the colors and shapes ("a small
 * crimson ring in the top left corner" for "a small red circle …"), words the pretraining captions never
 * use. A downstream retrieval split in this wording is a shift of vocabulary that the frozen backbone
 * cannot bridge zero-shot and that adaptation has to learn, as a catalogue's jargon would be.
 */
import { article } from './phrases';
import { COLORS, SHAPES, SHAPE_PLURALS, type ColorName, type ShapeName } from './vocab';

/** The catalogue's name for each object color and shape. */
export const CATALOGUE_NAMES: Readonly<Record<ColorName | ShapeName, string>> = {
  red: 'crimson',
  green: 'emerald',
  blue: 'navy',
  yellow: 'golden',
  purple: 'violet',
  orange: 'tangerine',
  white: 'ivory',
  circle: 'ring',
  square: 'tile',
  triangle: 'wedge',
  star: 'asterisk',
  cross: 'plus',
  diamond: 'rhombus',
};

const CATALOGUE_PLURALS: Readonly<Record<ShapeName, string>> = {
  circle: 'rings',
  square: 'tiles',
  triangle: 'wedges',
  star: 'asterisks',
  cross: 'pluses',
  diamond: 'rhombuses',
};

const RENAMES: ReadonlyMap<string, string> = new Map<string, string>([
  ...COLORS.map((c): [string, string] => [c, CATALOGUE_NAMES[c]]),
  ...SHAPES.map((s): [string, string] => [s, CATALOGUE_NAMES[s]]),
  ...SHAPES.map((s): [string, string] => [SHAPE_PLURALS[s], CATALOGUE_PLURALS[s]]),
]);

/** How the generator words retrieval texts: as the captions ('scene', the default) or with the catalogue's names. */
export type RetrievalWording = 'scene' | 'catalogue';
export const RETRIEVAL_WORDINGS: readonly RetrievalWording[] = ['scene', 'catalogue'];

/** `text` with every color and shape word replaced by its catalogue name, and "a"/"an" agreeing with the word after it. */
export function catalogueWording(text: string): string {
  const words = text.split(' ').map((w) => {
    const m = /^([a-z]+)(\W*)$/.exec(w);
    return m && RENAMES.has(m[1]) ? RENAMES.get(m[1])! + m[2] : w;
  });
  for (let i = 0; i + 1 < words.length; i++) {
    if (words[i] === 'a' || words[i] === 'an') words[i] = article(words[i + 1]);
  }
  return words.join(' ');
}
