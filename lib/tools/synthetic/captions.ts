/**
 * Captions for synthetic images and clips, from a small template grammar over the scene's attributes.
 * The first caption of every item is its canonical description, which names every attribute the
 * scene model varies (size, color, shape, cell, motion), so that captions tell the items of a split
 * apart for retrieval; the others are varied paraphrases that may leave some attributes out but never
 * say anything false.
 */
import { UniAdapterError } from '../../errors';
import type { Prng } from './prng';
import type { Scene, SceneObject } from './scene';
import { locationPhrase, motionPhrase, nounPhrase, whereInClip } from './phrases';
import { PATTERN_WORDS } from './vocab';

/** Most captions one item can have. */
export const MAX_CAPTIONS = 10;

/** Options of the image captions. */
export interface ImageCaptionOptions {
  /**
   * Name the background's pattern (plain, speckled, striped, shaded): the canonical caption ends with
   * "on a <pattern> background" and every paraphrase that mentions the background says its pattern too.
   * It makes no random draws of its own.
   */
  patterns?: boolean;
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three'];

type Template = (rng: Prng) => string;

/** "a, b and c". */
function listPhrase(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The noun phrase with a random wording and, seven times in ten, its size. */
function np(o: SceneObject, rng: Prng): string {
  return nounPhrase(o, rng, { size: rng.bernoulli(0.7) });
}

function located(o: SceneObject, rng: Prng): string {
  return `${np(o, rng)} ${locationPhrase(o.row, o.col, rng)}`;
}

/** A true spatial relation between two objects in different cells ("a red circle above a blue star"). */
function relation(a: SceneObject, b: SceneObject, rng: Prng): string {
  const options: string[] = [];
  if (a.row < b.row) options.push(`${np(a, rng)} above ${np(b, rng)}`, `${np(b, rng)} below ${np(a, rng)}`);
  if (a.row > b.row) options.push(`${np(a, rng)} below ${np(b, rng)}`, `${np(b, rng)} above ${np(a, rng)}`);
  if (a.col < b.col) options.push(`${np(a, rng)} to the left of ${np(b, rng)}`, `${np(b, rng)} to the right of ${np(a, rng)}`);
  if (a.col > b.col) options.push(`${np(a, rng)} to the right of ${np(b, rng)}`, `${np(b, rng)} to the left of ${np(a, rng)}`);
  const adjacent = Math.abs(a.row - b.row) + Math.abs(a.col - b.col) === 1;
  if (adjacent) options.push(`${np(a, rng)} next to ${np(b, rng)}`);
  return rng.pick(options);
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_CAPTIONS) {
    throw new UniAdapterError('ERR_ARG', `captions per item must be an integer from 1 to ${MAX_CAPTIONS}, got ${count}`);
  }
}

/** The canonical caption followed by distinct paraphrases drawn from `templates`. */
function assemble(canonical: string, templates: Template[], rng: Prng, count: number): string[] {
  const out = [canonical];
  const seen = new Set(out);
  let order: Template[] = [];
  for (let attempt = 0; out.length < count && attempt < 200; attempt++) {
    if (order.length === 0) order = rng.shuffle(templates.slice());
    const text = order.pop()!(rng);
    if (!seen.has(text)) {
      seen.add(text);
      out.push(text);
    }
  }
  // Only reachable with very few templates and many captions: repeat rather than return fewer.
  for (let i = 0; out.length < count; i++) out.push(out[i % out.length]);
  return out;
}

/** The canonical caption of a still scene: "a small red circle on the left and a large blue star at the top". */
export function canonicalImageCaption(scene: Scene, rng: Prng, options: ImageCaptionOptions = {}): string {
  const objects = listPhrase(
    scene.objects.map((o) => `${nounPhrase(o, rng, { canonical: true })} ${locationPhrase(o.row, o.col, rng, true)}`)
  );
  return options.patterns ? `${objects} on a ${PATTERN_WORDS[scene.background.texture]} background` : objects;
}

/**
 * `count` distinct captions (1..10) of a still scene, the canonical one first.
 */
export function imageCaptions(scene: Scene, rng: Prng, count: number, options: ImageCaptionOptions = {}): string[] {
  checkCount(count);
  const objs = scene.objects;
  const bg = options.patterns ? `${PATTERN_WORDS[scene.background.texture]} ${scene.background.color}` : scene.background.color;
  const templates: Template[] = [];
  if (objs.length === 1) {
    const o = objs[0];
    templates.push(
      (r) => `there is ${located(o, r)}`,
      (r) => `${located(o, r)} on a ${bg} background`,
      (r) => `${locationPhrase(o.row, o.col, r)}, there is ${np(o, r)}`,
      (r) => `a picture of ${located(o, r)}`,
      (r) => `an image showing ${located(o, r)}`,
      (r) => `${np(o, r)} on a ${bg} background`,
      (r) => `a ${bg} background with ${located(o, r)}`,
      (r) => `a single ${o.color} ${o.shape} ${locationPhrase(o.row, o.col, r)}`
    );
  } else {
    const n = NUMBER_WORDS[objs.length];
    const pair = (r: Prng): [SceneObject, SceneObject] => {
      const [a, b] = r.sample(objs, 2);
      return [a, b];
    };
    templates.push(
      (r) => `there are ${n} shapes: ${listPhrase(objs.map((o) => np(o, r)))}`,
      (r) => `${n} objects, ${listPhrase(objs.map((o) => located(o, r)))}`,
      (r) => {
        const [a, b] = pair(r);
        return relation(a, b, r);
      },
      (r) => {
        const [a, b] = pair(r);
        return `${relation(a, b, r)} on a ${bg} background`;
      },
      (r) => `${listPhrase(r.shuffle(objs.slice()).map((o) => located(o, r)))}`,
      (r) => `a picture of ${listPhrase(objs.map((o) => np(o, r)))}`,
      (r) => `${listPhrase(objs.map((o) => np(o, r)))} on a ${bg} background`,
      (r) => `a ${bg} image with ${listPhrase(objs.map((o) => located(o, r)))}`
    );
  }
  return assemble(canonicalImageCaption(scene, rng, options), templates, rng, count);
}

/** The canonical caption of a clip: "a small red circle moving to the right along the top". */
export function canonicalVideoCaption(scene: Scene, rng: Prng): string {
  const [first, ...rest] = scene.objects;
  const head = `${nounPhrase(first, rng, { canonical: true })} ${motionPhrase(first.motion, rng, true)} ${whereInClip(first, rng, true)}`;
  const tail = rest.map((o) => `${nounPhrase(o, rng, { canonical: true })} ${locationPhrase(o.row, o.col, rng, true)}`);
  return listPhrase([head, ...tail]);
}

/**
 * `count` distinct captions (1..10) of a clip, the canonical one first; every caption says how the
 * first object moves.
 */
export function videoCaptions(scene: Scene, rng: Prng, count: number): string[] {
  checkCount(count);
  const [first, ...rest] = scene.objects;
  const bg = scene.background.color;
  const mover = (r: Prng) => `${np(first, r)} ${motionPhrase(first.motion, r)}`;
  const moverWhere = (r: Prng) => `${mover(r)} ${whereInClip(first, r)}`;
  const others = (r: Prng) =>
    rest.length === 0
      ? ''
      : r.bernoulli(0.5)
        ? ` while ${listPhrase(rest.map((o) => `${np(o, r)} stays ${locationPhrase(o.row, o.col, r)}`))}`
        : ` and ${listPhrase(rest.map((o) => located(o, r)))}`;
  const templates: Template[] = [
    (r) => `there is ${moverWhere(r)}${others(r)}`,
    (r) => `${moverWhere(r)}${others(r)}`,
    (r) => `a video of ${mover(r)}`,
    (r) => `a video of ${moverWhere(r)}${others(r)}`,
    (r) => `${mover(r)} on a ${bg} background`,
    (r) => `a ${bg} background with ${moverWhere(r)}`,
    (r) => `a clip showing ${mover(r)}${others(r)}`,
  ];
  return assemble(canonicalVideoCaption(scene, rng), templates, rng, count);
}
