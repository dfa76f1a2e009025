/**
 * The scene model of the synthetic shapes world and how scenes are sampled.
 *
 * A scene is a background and one to three objects, each in its own cell of a 3×3 grid. Geometry is
 * resolution independent: centres and half-sizes are fractions of the image side, so one scene renders
 * at any size. A video scene is the same with a motion per object: the first object moves (or grows,
 * shrinks, stays still) and any other object stays still out of its way.
 */
import { UniAdapterError } from '../../errors';
import type { Prng } from './prng';
import {
  BACKGROUNDS,
  COLORS,
  MOTIONS,
  SHAPES,
  SIZES,
  TEXTURES,
  isTranslation,
  type BackgroundName,
  type ColorName,
  type MotionName,
  type ShapeName,
  type SizeName,
  type TextureName,
} from './vocab';

/** Centre of each grid row/column, as a fraction of the image side. */
export const CELL_CENTERS: readonly number[] = [0.18, 0.5, 0.82];
/** Half the side of an object's bounding box, as a fraction of the image side. */
export const HALF_SIZE: Readonly<Record<SizeName, number>> = { small: 0.085, large: 0.14 };
/** Half-sizes at the start and end of growing (reversed for shrinking). */
export const GROW_RANGE: readonly [number, number] = [0.06, 0.14];
/** Largest random offset of an object from its cell centre. */
export const JITTER = 0.02;

/** One object of a scene. Geometry is for the first frame; `dx`, `dy`, `dhalf` are the total change over a clip. */
export interface SceneObject {
  shape: ShapeName;
  color: ColorName;
  /** Size class; null when the size changes over the clip (growing, shrinking). */
  size: SizeName | null;
  /** Grid row (0 top .. 2 bottom) of the object; for horizontal motion, the row it moves along. */
  row: number;
  /** Grid column (0 left .. 2 right); for vertical motion, the column it moves along. */
  col: number;
  /** Centre x, fraction of the width. */
  cx: number;
  /** Centre y, fraction of the height (0 = top). */
  cy: number;
  /** Half the side of the bounding box, fraction of the image side. */
  half: number;
  motion: MotionName;
  dx: number;
  dy: number;
  dhalf: number;
}

/** The background: a base color and a texture drawn from its own seed. */
export interface Background {
  color: BackgroundName;
  texture: TextureName;
  /** Seed of the texture's noise (unsigned 32-bit). */
  textureSeed: number;
}

/** A still image (`frames` = 1) or a video clip. */
export interface Scene {
  background: Background;
  objects: SceneObject[];
  frames: number;
}

/** Where an object is in one frame. */
export interface Pose {
  cx: number;
  cy: number;
  half: number;
}

/** Options for {@link sampleImageScene}. */
export interface ImageSceneOptions {
  /** Most objects in a scene, 1..3 (default 2). */
  maxObjects?: number;
}

/** Options for {@link sampleVideoScene}. */
export interface VideoSceneOptions {
  /** Number of frames, at least 2. */
  frames: number;
  /** Most objects in a scene, 1..2 (default 2): the moving one and possibly a still one. */
  maxObjects?: number;
}

/** The pose of `obj` in frame `t` of a clip of `frames` frames (linear motion from first to last frame). */
export function objectPose(obj: SceneObject, t: number, frames: number): Pose {
  const p = frames > 1 ? t / (frames - 1) : 0;
  return { cx: obj.cx + p * obj.dx, cy: obj.cy + p * obj.dy, half: obj.half + p * obj.dhalf };
}

function sampleBackground(rng: Prng): Background {
  return { color: rng.pick(BACKGROUNDS), texture: rng.pick(TEXTURES), textureSeed: rng.nextUint32() };
}

function staticObject(rng: Prng, shape: ShapeName, color: ColorName, row: number, col: number): SceneObject {
  const size = rng.pick(SIZES);
  return {
    shape,
    color,
    size,
    row,
    col,
    cx: CELL_CENTERS[col] + rng.uniform(-JITTER, JITTER),
    cy: CELL_CENTERS[row] + rng.uniform(-JITTER, JITTER),
    half: HALF_SIZE[size],
    motion: 'still',
    dx: 0,
    dy: 0,
    dhalf: 0,
  };
}

/** Draws `n` distinct (shape, color) pairs. */
function distinctLooks(rng: Prng, n: number): Array<[ShapeName, ColorName]> {
  const out: Array<[ShapeName, ColorName]> = [];
  while (out.length < n) {
    const look: [ShapeName, ColorName] = [rng.pick(SHAPES), rng.pick(COLORS)];
    if (!out.some(([s, c]) => s === look[0] && c === look[1])) out.push(look);
  }
  return out;
}

function checkMaxObjects(value: number | undefined, limit: number, fallback: number): number {
  const m = value ?? fallback;
  if (!Number.isInteger(m) || m < 1 || m > limit) {
    throw new UniAdapterError('ERR_ARG', `maxObjects must be an integer from 1 to ${limit}, got ${value}`);
  }
  return m;
}

/**
 * Samples a still scene: a background and 1..maxObjects objects with distinct (shape, color) pairs in
 * distinct grid cells.
 */
export function sampleImageScene(rng: Prng, options: ImageSceneOptions = {}): Scene {
  const maxObjects = checkMaxObjects(options.maxObjects, 3, 2);
  const background = sampleBackground(rng);
  const counts = [1, 2, 3].slice(0, maxObjects);
  const n = rng.weighted(counts, [0.45, 0.35, 0.2].slice(0, maxObjects));
  const cells = rng.sample([0, 1, 2, 3, 4, 5, 6, 7, 8], n);
  const looks = distinctLooks(rng, n);
  const objects = cells.map((cell, i) => staticObject(rng, looks[i][0], looks[i][1], Math.floor(cell / 3), cell % 3));
  return { background, objects, frames: 1 };
}

/**
 * Samples a video scene of `frames` frames: the first object moves left/right along a row, up/down
 * along a column, grows or shrinks in a cell, or stays still; a second object (sometimes) stays still
 * in a cell the first never enters.
 */
export function sampleVideoScene(rng: Prng, options: VideoSceneOptions): Scene {
  if (!Number.isInteger(options.frames) || options.frames < 2) {
    throw new UniAdapterError('ERR_ARG', `a video scene needs an integer number of frames >= 2, got ${options.frames}`);
  }
  const maxObjects = checkMaxObjects(options.maxObjects, 2, 2);
  const background = sampleBackground(rng);
  const motion = rng.weighted(MOTIONS, [1, 1, 1, 1, 1, 1, 0.5]);
  const n = maxObjects > 1 && rng.bernoulli(0.4) ? 2 : 1;
  const looks = distinctLooks(rng, n);
  const [shape, color] = looks[0];
  const lo = CELL_CENTERS[0];
  const hi = CELL_CENTERS[2];
  const span = hi - lo;
  let first: SceneObject;
  const occupied: number[] = []; // cells the first object visits
  if (isTranslation(motion)) {
    const size = rng.pick(SIZES);
    const horizontal = motion === 'left' || motion === 'right';
    const lane = rng.int(3);
    const along = CELL_CENTERS[lane] + rng.uniform(-JITTER, JITTER);
    const start = motion === 'right' || motion === 'down' ? lo : hi;
    const delta = motion === 'right' || motion === 'down' ? span : -span;
    const startCell = start === lo ? 0 : 2;
    first = {
      shape,
      color,
      size,
      row: horizontal ? lane : startCell,
      col: horizontal ? startCell : lane,
      cx: horizontal ? start : along,
      cy: horizontal ? along : start,
      half: HALF_SIZE[size],
      motion,
      dx: horizontal ? delta : 0,
      dy: horizontal ? 0 : delta,
      dhalf: 0,
    };
    for (let k = 0; k < 3; k++) occupied.push(horizontal ? lane * 3 + k : k * 3 + lane);
  } else {
    const cell = rng.int(9);
    first = staticObject(rng, shape, color, Math.floor(cell / 3), cell % 3);
    if (motion !== 'still') {
      const [small, large] = GROW_RANGE;
      first.size = null;
      first.motion = motion;
      first.half = motion === 'growing' ? small : large;
      first.dhalf = motion === 'growing' ? large - small : small - large;
    }
    occupied.push(cell);
  }
  const objects = [first];
  if (n === 2) {
    const free = [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((c) => !occupied.includes(c));
    const cell = rng.pick(free);
    objects.push(staticObject(rng, looks[1][0], looks[1][1], Math.floor(cell / 3), cell % 3));
  }
  return { background, objects, frames: options.frames };
}

/**
 * The scene's shape twin: the same scene (background, cells, sizes, colors, texture) with one object,
 * drawn at random, in another shape that no other object of the same color has. Pretraining on twins
 * side by side makes shape, and nothing else, tell an image from its twin.
 */
export function shapeTwin(scene: Scene, rng: Prng): Scene {
  const k = rng.int(scene.objects.length);
  const target = scene.objects[k];
  const taken = (shape: ShapeName) => scene.objects.some((o, i) => i !== k && o.color === target.color && o.shape === shape);
  const shapes = SHAPES.filter((s) => s !== target.shape && !taken(s));
  const objects = scene.objects.map((o, i) => (i === k ? { ...o, shape: rng.pick(shapes) } : { ...o }));
  return { background: { ...scene.background }, objects, frames: scene.frames };
}

/**
 * A string that identifies what captions can say about a scene (objects' look, size, cell and motion,
 * and the background color), used to keep the scenes of one split distinguishable.
 */
export function sceneSignature(scene: Scene): string {
  const objs = scene.objects.map((o) => `${o.shape}/${o.color}/${o.size ?? '-'}/${o.row}${o.col}/${o.motion}`);
  return `${scene.background.color}|${objs.join(';')}`;
}
