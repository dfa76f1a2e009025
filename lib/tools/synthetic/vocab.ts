/**
 * The attribute vocabulary of the synthetic shapes world: shapes, object colors with their RGB values,
 * sizes, the 3×3 grid of positions, background colors and textures, and video motions. Everything
 * else (scenes, pixels, captions, questions) is built from these lists, and their order is part of the
 * data set's determinism: reordering them changes the output for a given seed.
 */

/** Object shapes. */
export const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross', 'diamond'] as const;
export type ShapeName = (typeof SHAPES)[number];

/** Plural forms, for counting questions. */
export const SHAPE_PLURALS: Readonly<Record<ShapeName, string>> = {
  circle: 'circles',
  square: 'squares',
  triangle: 'triangles',
  star: 'stars',
  cross: 'crosses',
  diamond: 'diamonds',
};

/** An 8-bit RGB triple. */
export type Rgb = readonly [number, number, number];

/** Object colors. The values are far apart from each other and from every background color. */
export const COLORS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white'] as const;
export type ColorName = (typeof COLORS)[number];

export const COLOR_RGB: Readonly<Record<ColorName, Rgb>> = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 80, 220],
  yellow: [240, 220, 40],
  purple: [140, 60, 190],
  orange: [245, 140, 30],
  white: [245, 245, 245],
};

/** Object sizes. */
export const SIZES = ['small', 'large'] as const;
export type SizeName = (typeof SIZES)[number];

/** Words a caption may use for each size. */
export const SIZE_WORDS: Readonly<Record<SizeName, readonly string[]>> = {
  small: ['small', 'little'],
  large: ['large', 'big'],
};

/** Background colors: muted tones that no object color is close to. */
export const BACKGROUNDS = ['gray', 'black', 'brown', 'beige'] as const;
export type BackgroundName = (typeof BACKGROUNDS)[number];

export const BACKGROUND_RGB: Readonly<Record<BackgroundName, Rgb>> = {
  gray: [105, 105, 105],
  black: [30, 30, 36],
  brown: [105, 75, 50],
  beige: [190, 175, 140],
};

/** Background textures (nuisance variation, unless the generator's `patterns` option names them). */
export const TEXTURES = ['plain', 'noise', 'stripes', 'gradient'] as const;
export type TextureName = (typeof TEXTURES)[number];

/** The word captions and answers use for each texture when patterns are named. */
export const PATTERN_WORDS: Readonly<Record<TextureName, string>> = {
  plain: 'plain',
  noise: 'speckled',
  stripes: 'striped',
  gradient: 'shaded',
};

/** Grid rows, top to bottom. */
export const ROWS = ['top', 'middle', 'bottom'] as const;
export type RowName = (typeof ROWS)[number];

/** Grid columns, left to right. */
export const COLUMNS = ['left', 'center', 'right'] as const;
export type ColumnName = (typeof COLUMNS)[number];

/** Names of the nine grid cells, row-major: the answers to "where is …?" questions. */
export const POSITIONS = [
  'top left',
  'top',
  'top right',
  'left',
  'center',
  'right',
  'bottom left',
  'bottom',
  'bottom right',
] as const;
export type PositionName = (typeof POSITIONS)[number];

/** The name of the cell at `row`, `col` (each 0..2). */
export function positionName(row: number, col: number): PositionName {
  return POSITIONS[row * 3 + col];
}

/** How an object changes over a video clip. Images only use `'still'`. */
export const MOTIONS = ['left', 'right', 'up', 'down', 'growing', 'shrinking', 'still'] as const;
export type MotionName = (typeof MOTIONS)[number];

/** True for the motions that translate the object. */
export function isTranslation(m: MotionName): m is 'left' | 'right' | 'up' | 'down' {
  return m === 'left' || m === 'right' || m === 'up' || m === 'down';
}

/** The short answer describing a motion ("what is the circle doing?"). */
export const MOTION_ANSWERS: Readonly<Record<MotionName, string>> = {
  left: 'moving left',
  right: 'moving right',
  up: 'moving up',
  down: 'moving down',
  growing: 'growing',
  shrinking: 'shrinking',
  still: 'not moving',
};

/** Count answers, as VQA writes them (digits). */
export const COUNT_ANSWERS = ['0', '1', '2', '3'] as const;
