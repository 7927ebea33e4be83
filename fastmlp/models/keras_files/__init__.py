"""Keras 3's file formats: ``.keras`` archives and ``.weights.h5`` weights files.

Modules: ``config`` (fastmlp objects <-> Keras serialized configs),
``weights`` (the HDF5 weights layout), ``keras_v3`` (the ``.keras`` zip).
"""
