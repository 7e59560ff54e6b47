"""Everyday mistakes that used to give a wrong selection without a word (issue 12): each is now a
clear error or the right result."""

import numpy as np
import pandas as pd
import pytest

from gioselect import GIOSampler, GIOSelector


@pytest.fixture
def shifted():
    rng = np.random.default_rng(0)
    pool = np.vstack([rng.normal(0, 1, (300, 4)), rng.normal(3, 1, (300, 4))])
    return pool, rng.normal(3, 1, (60, 4))


@pytest.mark.parametrize("cls", [GIOSelector, GIOSampler])
def test_a_target_passed_positionally_is_refused_with_the_fix(shifted, cls):
    pool, target = shifted
    with pytest.raises(ValueError, match="pass the target as `target=`"):
        cls(max_iter=20, random_state=0).fit(pool, target)


def test_labels_of_the_wrong_length_are_refused(shifted):
    pool, _ = shifted
    with pytest.raises(ValueError, match="y has 10 rows but X has 600"):
        GIOSelector(max_iter=20).fit(pool, np.arange(10))


def test_labels_of_the_pool_are_accepted_and_change_nothing(shifted):
    pool, target = shifted
    labels = (np.arange(len(pool)) >= 300).astype(int)
    with_y = GIOSelector(max_iter=20, random_state=0).fit(pool, labels, target=target)
    without = GIOSelector(max_iter=20, random_state=0).fit(pool, target=target)
    np.testing.assert_array_equal(with_y.selected_indices_, without.selected_indices_)


def frames(pool, target):
    names = ["a", "b", "c", "d"]
    return pd.DataFrame(pool, columns=names), pd.DataFrame(target, columns=names)


def test_target_columns_in_another_order_are_matched_by_name(shifted):
    pool, target = shifted
    df_pool, df_target = frames(pool, target)
    expected = GIOSelector(max_iter=30, random_state=0).fit(df_pool, target=df_target).selected_indices_
    shuffled = df_target[["c", "a", "d", "b"]]
    got = GIOSelector(max_iter=30, random_state=0).fit(df_pool, target=shuffled).selected_indices_
    np.testing.assert_array_equal(got, expected)
    init = df_pool.iloc[:25]
    a = GIOSelector(max_iter=10, random_state=0).fit(df_pool, target=df_target, init=init).selected_indices_
    b = GIOSelector(max_iter=10, random_state=0).fit(df_pool, target=df_target,
                                                      init=init[["d", "c", "b", "a"]]).selected_indices_
    np.testing.assert_array_equal(a, b)


def test_target_columns_that_are_not_the_pools_are_refused_with_both_lists(shifted):
    pool, target = shifted
    df_pool, df_target = frames(pool, target)
    renamed = df_target.rename(columns={"d": "e"})
    with pytest.raises(ValueError, match=r"target's columns \['a', 'b', 'c', 'e'\] are not the pool's "
                                         r"\['a', 'b', 'c', 'd'\]"):
        GIOSelector(max_iter=10).fit(df_pool, target=renamed)
