/**
 * The phrase grammar shared by captions and questions: noun phrases for objects ("a small red circle"),
 * location phrases for grid cells ("in the top left corner", "on the left"), and motion phrases for
 * video objects ("moving to the right", "growing"). Each function picks one of several equivalent
 * wordings with the given generator; every wording is true of the object.
 */
import type { Prng } from './prng';
import type { SceneObject } from './scene';
import { COLUMNS, ROWS, SIZE_WORDS, isTranslation, type MotionName, type PositionName, positionName } from './vocab';

/** "a" or "an" for the word that follows. */
export function article(nextWord: string): string {
  return /^[aeiou]/.test(nextWord) ? 'an' : 'a';
}

/** Prefixes `phrase` with its indefinite article. */
export function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

/** Options for {@link nounPhrase}. */
export interface NounPhraseOptions {
  /** Mention the size when the object has one (default true). */
  size?: boolean;
  /** Start with "a"/"an" (default) or "the". */
  determiner?: 'a' | 'the';
  /** Use the first wording of the size ("small", "large") instead of a random one. */
  canonical?: boolean;
}

/** "a small red circle", "a big blue star", "the red circle"… */
export function nounPhrase(obj: SceneObject, rng: Prng, options: NounPhraseOptions = {}): string {
  const words: string[] = [];
  if ((options.size ?? true) && obj.size !== null) {
    const sizeWords = SIZE_WORDS[obj.size];
    words.push(options.canonical ? sizeWords[0] : rng.pick(sizeWords));
  }
  words.push(obj.color, obj.shape);
  const phrase = words.join(' ');
  return options.determiner === 'the' ? `the ${phrase}` : withArticle(phrase);
}

/** Wordings of each grid cell, by position name. */
export const LOCATION_PHRASES: Readonly<Record<PositionName, readonly string[]>> = {
  'top left': ['in the top left corner', 'at the top left', 'in the top left'],
  top: ['at the top', 'near the top', 'at the top of the image'],
  'top right': ['in the top right corner', 'at the top right', 'in the top right'],
  left: ['on the left', 'on the left side', 'at the left'],
  center: ['in the center', 'in the middle', 'in the center of the image'],
  right: ['on the right', 'on the right side', 'at the right'],
  'bottom left': ['in the bottom left corner', 'at the bottom left', 'in the bottom left'],
  bottom: ['at the bottom', 'near the bottom', 'at the bottom of the image'],
  'bottom right': ['in the bottom right corner', 'at the bottom right', 'in the bottom right'],
};

/** A wording of the grid cell (row, col); the first wording when `canonical`. */
export function locationPhrase(row: number, col: number, rng: Prng, canonical = false): string {
  const options = LOCATION_PHRASES[positionName(row, col)];
  return canonical ? options[0] : rng.pick(options);
}

/** Wordings of each motion, as a participle phrase after the noun phrase ("a red circle moving left"). */
export const MOTION_PHRASES: Readonly<Record<MotionName, readonly string[]>> = {
  left: ['moving to the left', 'moving left', 'sliding to the left', 'moving from right to left', 'heading left'],
  right: ['moving to the right', 'moving right', 'sliding to the right', 'moving from left to right', 'heading right'],
  up: ['moving up', 'moving upward', 'rising', 'moving from the bottom to the top', 'heading up'],
  down: ['moving down', 'moving downward', 'falling', 'moving from the top to the bottom', 'heading down'],
  growing: ['growing', 'getting bigger', 'growing larger', 'expanding'],
  shrinking: ['shrinking', 'getting smaller', 'shrinking away', 'becoming smaller'],
  still: ['staying still', 'not moving', 'standing still', 'resting'],
};

/** A wording of a motion; the first wording when `canonical`. */
export function motionPhrase(motion: MotionName, rng: Prng, canonical = false): string {
  const options = MOTION_PHRASES[motion];
  return canonical ? options[0] : rng.pick(options);
}

const LANE_ROW: Readonly<Record<(typeof ROWS)[number], readonly string[]>> = {
  top: ['along the top', 'across the top'],
  middle: ['across the middle', 'through the middle'],
  bottom: ['along the bottom', 'across the bottom'],
};

const LANE_COLUMN: Readonly<Record<(typeof COLUMNS)[number], readonly string[]>> = {
  left: ['on the left', 'on the left side'],
  center: ['in the middle', 'through the middle'],
  right: ['on the right', 'on the right side'],
};

/**
 * Where an object is in a clip: the row it moves along (horizontal motion), the column (vertical
 * motion), or its cell (growing, shrinking, still). The first wording when `canonical`.
 */
export function whereInClip(obj: SceneObject, rng: Prng, canonical = false): string {
  if (isTranslation(obj.motion)) {
    const options =
      obj.motion === 'left' || obj.motion === 'right' ? LANE_ROW[ROWS[obj.row]] : LANE_COLUMN[COLUMNS[obj.col]];
    return canonical ? options[0] : rng.pick(options);
  }
  return locationPhrase(obj.row, obj.col, rng, canonical);
}
