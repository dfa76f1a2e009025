/**
 * Shape geometry: for each shape, whether a point lies inside it, in the object's own coordinates
 * (`u` to the right, `v` downwards, the bounding box is [-1, 1]²). Shapes have clearly different
 * silhouettes (round, square, pointed up, five-pointed, plus-shaped, rotated square) so that they
 * stay distinguishable down to about 8 pixels across.
 */
import type { ShapeName } from './vocab';

type Point = readonly [number, number];

/** The five-pointed star, outer radius 1, inner radius 0.45, first point straight up. */
const STAR: readonly Point[] = (() => {
  const pts: Point[] = [];
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? 1 : 0.45;
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    pts.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return pts;
})();

/** An upward-pointing triangle. */
const TRIANGLE: readonly Point[] = [
  [0, -1],
  [1, 0.75],
  [-1, 0.75],
];

/** A polygon as flat coordinates [x0, y0, x1, y1, …], for a fast inner loop. */
function flat(poly: readonly Point[]): Float64Array {
  return Float64Array.from(poly.flat());
}

const STAR_FLAT = flat(STAR);
const TRIANGLE_FLAT = flat(TRIANGLE);

/** Even–odd point-in-polygon test over flat coordinates. */
function insidePolygon(xy: Float64Array, u: number, v: number): boolean {
  let inside = false;
  const n = xy.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = xy[i];
    const yi = xy[i + 1];
    const xj = xy[j];
    const yj = xy[j + 1];
    if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Half-width of the cross's arms. */
const ARM = 0.32;
/** Half-side of the square (smaller than the box so its area is close to the circle's). */
const SQUARE = 0.86;

/** Whether (u, v), in the object's bounding-box coordinates ([-1, 1]²), is inside `shape`. */
export function insideShape(shape: ShapeName, u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'square':
      return Math.abs(u) <= SQUARE && Math.abs(v) <= SQUARE;
    case 'triangle':
      return insidePolygon(TRIANGLE_FLAT, u, v);
    case 'star':
      return insidePolygon(STAR_FLAT, u, v);
    case 'cross': {
      const au = Math.abs(u);
      const av = Math.abs(v);
      return (au <= ARM && av <= 1) || (av <= ARM && au <= 1);
    }
    case 'diamond':
      return Math.abs(u) + Math.abs(v) <= 1;
  }
}

/** The inside test of one shape as a function, to keep the shape switch out of inner loops. */
export function shapeTest(shape: ShapeName): (u: number, v: number) => boolean {
  switch (shape) {
    case 'circle':
      return (u, v) => u * u + v * v <= 1;
    case 'triangle':
      return (u, v) => insidePolygon(TRIANGLE_FLAT, u, v);
    case 'star':
      return (u, v) => insidePolygon(STAR_FLAT, u, v);
    default:
      return (u, v) => insideShape(shape, u, v);
  }
}
