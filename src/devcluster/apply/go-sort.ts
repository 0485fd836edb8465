/**
 * Go's sort.SliceStable, step for step: insertion sorts over blocks of 20, then in-place symmetric
 * merges of ever larger blocks. A comparison that is not a strict weak order (upstream's strategic
 * merge sorts with one: an item missing from the order list is "less" than anything) gives a
 * result that depends on the algorithm, so the devcluster runs the same one to order lists as the
 * API server does.
 */
export function goSliceStable<T>(items: readonly T[], less: (a: T, b: T) => boolean): T[] {
  const data = [...items];
  const lessAt = (i: number, j: number): boolean => less(data[i] as T, data[j] as T);
  const swap = (i: number, j: number): void => {
    const t = data[i] as T;
    data[i] = data[j] as T;
    data[j] = t;
  };
  const insertionSort = (a: number, b: number): void => {
    for (let i = a + 1; i < b; i++) for (let j = i; j > a && lessAt(j, j - 1); j--) swap(j, j - 1);
  };
  const swapRange = (a: number, b: number, n: number): void => {
    for (let i = 0; i < n; i++) swap(a + i, b + i);
  };
  const rotate = (a: number, m: number, b: number): void => {
    let i = m - a;
    let j = b - m;
    while (i !== j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  };
  const symMerge = (a: number, m: number, b: number): void => {
    if (m - a === 1) {
      // Binary search for where data[a] goes in data[m:b], then move it there.
      let i = m;
      let j = b;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (lessAt(h, a)) i = h + 1;
        else j = h;
      }
      for (let k = a; k < i - 1; k++) swap(k, k + 1);
      return;
    }
    if (b - m === 1) {
      // Binary search for where data[m] goes in data[a:m], then move it there.
      let i = a;
      let j = m;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (!lessAt(m, h)) i = h + 1;
        else j = h;
      }
      for (let k = m; k > i; k--) swap(k, k - 1);
      return;
    }
    const mid = (a + b) >>> 1;
    const n = mid + m;
    let start: number;
    let r: number;
    if (m > mid) {
      start = n - b;
      r = mid;
    } else {
      start = a;
      r = m;
    }
    const p = n - 1;
    while (start < r) {
      const c = (start + r) >>> 1;
      if (!lessAt(p - c, c)) start = c + 1;
      else r = c;
    }
    const end = n - start;
    if (start < m && m < end) rotate(start, m, end);
    if (a < start && start < mid) symMerge(a, start, mid);
    if (mid < end && end < b) symMerge(mid, end, b);
  };

  const n = data.length;
  let blockSize = 20;
  let a = 0;
  let b = blockSize;
  for (; b <= n; a = b, b += blockSize) insertionSort(a, b);
  insertionSort(a, n);
  for (; blockSize < n; blockSize *= 2) {
    a = 0;
    b = 2 * blockSize;
    for (; b <= n; a = b, b += 2 * blockSize) symMerge(a, a + blockSize, b);
    const m = a + blockSize;
    if (m < n) symMerge(a, m, n);
  }
  return data;
}
