/**
 * The geometric operations of BLIP's RandomAugment (ShearX/Y, TranslateX/Y, Rotate), built on the
 * OpenCV-compatible {@link warpAffine}, with the matrices the official code passes: shear and
 * translation matrices are float32 (`np.float32`), the rotation matrix is OpenCV's
 * `getRotationMatrix2D((W/2, H/2), degrees, 1)` in double precision.
 */
import type { RgbImage } from '../media/rgb-image';
import { warpAffine, type Affine2x3 } from './warp-affine';

export type Fill = readonly [number, number, number];

/** BLIP's border colour for the geometric operations. */
export const BLIP_FILL: Fill = [128, 128, 128];

const f32 = Math.fround;

/** `[[1, factor, 0], [0, 1, 0]]`: a source pixel (x, y) moves to (x + factor·y, y). */
export function shearX(img: RgbImage, factor: number, fill: Fill = BLIP_FILL): RgbImage {
  return warpAffine(img, [1, f32(factor), 0, 0, 1, 0], fill);
}

/** `[[1, 0, 0], [factor, 1, 0]]`: a source pixel (x, y) moves to (x, y + factor·x). */
export function shearY(img: RgbImage, factor: number, fill: Fill = BLIP_FILL): RgbImage {
  return warpAffine(img, [1, 0, 0, f32(factor), 1, 0], fill);
}

/** `[[1, 0, −offset], [0, 1, 0]]`: the content moves left by `offset` pixels (right when negative). */
export function translateX(img: RgbImage, offset: number, fill: Fill = BLIP_FILL): RgbImage {
  return warpAffine(img, [1, 0, f32(-offset), 0, 1, 0], fill);
}

/** `[[1, 0, 0], [0, 1, −offset]]`: the content moves up by `offset` pixels (down when negative). */
export function translateY(img: RgbImage, offset: number, fill: Fill = BLIP_FILL): RgbImage {
  return warpAffine(img, [1, 0, 0, 0, 1, f32(-offset)], fill);
}

/** OpenCV's `getRotationMatrix2D(center, angle, scale)`: positive angles turn counter-clockwise on screen. */
export function rotationMatrix(cx: number, cy: number, degrees: number, scale = 1): Affine2x3 {
  const angle = degrees * (Math.PI / 180); // OpenCV: angle *= CV_PI/180
  const alpha = Math.cos(angle) * scale;
  const beta = Math.sin(angle) * scale;
  const fx = f32(cx);
  const fy = f32(cy);
  return [alpha, beta, (1 - alpha) * fx - beta * fy, -beta, alpha, beta * fx + (1 - alpha) * fy];
}

/** Rotates by `degrees` (counter-clockwise when positive) about (W/2, H/2), scale 1. */
export function rotate(img: RgbImage, degrees: number, fill: Fill = BLIP_FILL): RgbImage {
  return warpAffine(img, rotationMatrix(img.width / 2, img.height / 2, degrees), fill);
}
